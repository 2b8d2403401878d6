// oomlab-bench-genlog: writes a realistic kernel log of a given size for the
// analyzer benchmark: mostly ordinary kernel chatter, with OOM reports
// (invoker, trace, Mem-Info, task table, kill, reaper), MemAlloc-Info stall
// series, sysrq task dumps, hung task reports and WARNINGs mixed in at
// roughly the rates a memory-stressed test box produces them.
// Deterministic for a given --seed.
// --repeat FILE writes another shape: the kernel lines of FILE (those with a
// dmesg "[ secs.usecs]" stamp: a seed's OOM reports, task tables and
// traces) over and over, each copy's stamps shifted past the previous copy.
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "oomlab/common/units.hpp"

namespace {

struct Rng {   // xorshift64*: fast and reproducible
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
};

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) { buf_.reserve(1 << 20); }
  ~Writer() { flush(); }
  double ts = 0.0;
  std::uint64_t bytes = 0;
  void line(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    char tmp[512];
    int n = std::snprintf(tmp, sizeof tmp, "[%5" PRIu64 ".%06" PRIu64 "] ", static_cast<std::uint64_t>(ts),
                          static_cast<std::uint64_t>((ts - static_cast<std::uint64_t>(ts)) * 1e6));
    va_list ap;
    va_start(ap, fmt);
    int m = std::vsnprintf(tmp + n, sizeof tmp - static_cast<std::size_t>(n) - 1, fmt, ap);
    va_end(ap);
    std::size_t len = static_cast<std::size_t>(n) + static_cast<std::size_t>(m < 0 ? 0 : std::min<int>(m, static_cast<int>(sizeof tmp) - n - 2));
    tmp[len++] = '\n';
    buf_.append(tmp, len);
    bytes += len;
    if (buf_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      std::perror("oomlab-bench-genlog: write");
      std::exit(1);
    }
    buf_.clear();
  }

 private:
  std::FILE* f_;
  std::string buf_;
};

const char* const kComms[] = {"systemd-journal", "kworker/1:2", "postgres", "java", "a.out", "stress-ng-vm",
                              "chrome", "sshd", "rsyslogd", "python3", "nginx", "containerd"};

void noise(Writer& w, Rng& r) {
  switch (r.below(12)) {
    case 0: w.line("e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"); break;
    case 1: w.line("audit: type=1400 audit(%u.%03u:%u): apparmor=\"STATUS\" operation=\"profile_load\" pid=%u comm=\"apparmor_parser\"",
                   1700000000 + r.below(1000000), r.below(1000), r.below(9999), r.below(40000)); break;
    case 2: w.line("EXT4-fs (sda%u): mounted filesystem with ordered data mode. Quota mode: none.", 1 + r.below(4)); break;
    case 3: w.line("usb %u-%u: new high-speed USB device number %u using xhci_hcd", 1 + r.below(3), 1 + r.below(6), r.below(40)); break;
    case 4: w.line("IPv6: ADDRCONF(NETDEV_CHANGE): veth%08x: link becomes ready", static_cast<unsigned>(r.next())); break;
    case 5: w.line("br-%06x: port %u(veth%06x) entered forwarding state", r.below(0xffffff), 1 + r.below(8), r.below(0xffffff)); break;
    case 6: w.line("systemd[1]: Started Session %u of User %s.", r.below(5000), r.below(2) ? "root" : "builder"); break;
    case 7: w.line("%s[%u]: segfault at %x ip %012" PRIx64 " sp %012" PRIx64 " error 4 in libc.so.6[7f%08x+195000]",
                   kComms[r.below(12)], r.below(40000), r.below(0xffff), r.next() & 0xffffffffffff, r.next() & 0xffffffffffff,
                   r.below(0xfffffff)); break;
    case 8: w.line("TCP: request_sock_TCP: Possible SYN flooding on port %u. Sending cookies.", r.below(65535)); break;
    case 9: w.line("perf: interrupt took too long (%u > %u), lowering kernel.perf_event_max_sample_rate to %u",
                   2500 + r.below(2000), 2500 + r.below(1000), 50000 + r.below(30000)); break;
    case 10: w.line("memory: usage %ukB, limit %ukB, failcnt %u", r.below(1 << 20), 1 << 20, r.below(100)); break;
    default: w.line("systemd[1]: %s.service: A process of this unit has been killed by the OOM killer.", kComms[r.below(12)]); break;
  }
}

void oom_report(Writer& w, Rng& r) {
  const char* comm = kComms[r.below(12)];
  unsigned pid = 1000 + r.below(60000);
  w.line("%s invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0", comm);
  w.line("CPU: %u PID: %u Comm: %s Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1", r.below(8), pid, comm);
  w.line("Call Trace:");
  w.line(" <TASK>");
  for (const char* f : {"dump_stack_lvl+0x44/0x5c", "dump_header+0x4a/0x211", "oom_kill_process.cold+0xb/0x10",
                        "out_of_memory+0x1fd/0x4e0", "__alloc_pages_slowpath.constprop.0+0xcc3/0xe40",
                        "__alloc_pages+0x305/0x330", "vma_alloc_folio+0x10d/0x300", "do_anonymous_page+0x63/0x3c0",
                        "handle_mm_fault+0x99a/0x1450", "do_user_addr_fault+0x1ba/0x6c0", "exc_page_fault+0x7c/0x180",
                        "asm_exc_page_fault+0x26/0x30"})
    w.line(" %s", f);
  w.line(" </TASK>");
  w.line("Mem-Info:");
  w.line("active_anon:%u inactive_anon:%u isolated_anon:0", r.below(1 << 20), r.below(1 << 20));
  w.line("Node 0 DMA32 free:%ukB boost:0kB min:44348kB low:55432kB high:66516kB", r.below(60000));
  w.line("Tasks state (memory values in pages):");
  w.line("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
  for (int i = 0; i < 30; ++i) {
    unsigned p = 300 + r.below(60000);
    w.line("[%7u] %5u %5u %8u %8u %14u %8u %13d %s", p, r.below(2) ? 0 : 1000, p, r.below(1 << 20), r.below(1 << 18),
           r.below(1 << 22), 0u, r.below(5) == 0 ? -1000 : 0, kComms[r.below(12)]);
  }
  w.line("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=%s,pid=%u,uid=1000",
         comm, pid);
  w.line("Out of memory: Killed process %u (%s) total-vm:%ukB, anon-rss:%ukB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:%ukB oom_score_adj:0",
         pid, comm, r.below(1 << 24), r.below(1 << 23), r.below(1 << 12));
  w.ts += 0.02 + r.below(100) / 1000.0;
  w.line("oom_reaper: reaped process %u (%s), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", pid, comm);
}

void memalloc_info(Writer& w, Rng& r) {
  unsigned s = r.below(20);
  w.line("MemAlloc-Info: stalling=%u dying=%u exiting=0 victim=%u oom_count=%u", s, r.below(2), r.below(2), r.below(100));
  for (unsigned i = 0; i < s && i < 3; ++i)
    w.line("MemAlloc: %s(%u) flags=0x400840 switches=%u seq=%u gfp=0x24280ca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO) order=0 delay=%u uninterruptible",
           kComms[r.below(12)], 1000 + r.below(60000), r.below(10000), r.below(100), 10000 + r.below(50000));
}

void task_dump(Writer& w, Rng& r, bool hung) {
  unsigned pid = 1000 + r.below(60000);
  const char* comm = kComms[r.below(12)];
  if (hung) {
    w.line("INFO: task %s:%u blocked for more than 120 seconds.", comm, pid);
    w.line("      Not tainted 6.1.0-13-amd64 #1 Debian 6.1.55-1");
    w.line("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.");
  }
  w.line("task:%-15s state:D stack:0     pid:%-5u ppid:%-6u flags:0x00004000", comm, pid, 1 + r.below(2000));
  w.line("Call Trace:");
  w.line(" <TASK>");
  for (const char* f : {"__schedule+0x34d/0x9e0", "schedule+0x5a/0xd0", "rwsem_down_write_slowpath+0x2b1/0x5a0",
                        "? __pfx_rwsem_down_write_slowpath+0x10/0x10", "down_write_killable+0x5b/0x80",
                        "__vm_munmap+0x8b/0x160", "__x64_sys_munmap+0x1b/0x30", "do_syscall_64+0x5d/0x90",
                        "entry_SYSCALL_64_after_hwframe+0x6e/0xd8"})
    w.line(" %s", f);
  w.line(" </TASK>");
}

void warning(Writer& w, Rng& r) {
  w.line("------------[ cut here ]------------");
  w.line("WARNING: CPU: %u PID: %u at mm/page_alloc.c:5567 __alloc_pages+0x2c1/0x330", r.below(8), 1000 + r.below(60000));
  w.line("Modules linked in: ext4 crc16 mbcache jbd2 virtio_blk");
  w.line("Call Trace:");
  w.line(" <TASK>");
  w.line(" __kmalloc_large_node+0x7e/0x150");
  w.line(" __kmalloc_node+0x11f/0x170");
  w.line(" kvmalloc_node+0x55/0xd0");
  w.line(" </TASK>");
  w.line("---[ end trace 0000000000000000 ]---");
}

// The stamped lines of `path` as (seconds, rest after the stamp).
bool read_kernel_lines(const char* path, std::vector<std::pair<double, std::string>>& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 4 || line[0] != '[') continue;
    std::size_t close = line.find(']');
    if (close == std::string::npos) continue;
    char* end = nullptr;
    double ts = std::strtod(line.c_str() + 1, &end);
    if (end != line.c_str() + close) continue;
    out.emplace_back(ts, line.substr(close + 1));
  }
  return true;
}

void repeat_lines(std::FILE* f, const std::vector<std::pair<double, std::string>>& lines, std::uint64_t size) {
  std::string buf;
  buf.reserve(1 << 21);
  const double span = lines.back().first - lines.front().first + 1.0;
  std::uint64_t bytes = 0;
  for (std::uint64_t copy = 0; bytes < size; ++copy) {
    for (const auto& [ts, rest] : lines) {
      const double t = ts + static_cast<double>(copy) * span;
      char stamp[48];
      int n = std::snprintf(stamp, sizeof stamp, "[%5" PRIu64 ".%06" PRIu64 "]", static_cast<std::uint64_t>(t),
                            static_cast<std::uint64_t>((t - static_cast<double>(static_cast<std::uint64_t>(t))) * 1e6));
      buf.append(stamp, static_cast<std::size_t>(n));
      buf += rest;
      buf += '\n';
      bytes += static_cast<std::uint64_t>(n) + rest.size() + 1;
    }
    if (buf.size() >= (1 << 20) || bytes >= size) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        std::perror("oomlab-bench-genlog: write");
        std::exit(1);
      }
      buf.clear();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t size = 1ull << 30, seed = 1;
  const char* out = nullptr;
  const char* repeat = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::puts("usage: oomlab-bench-genlog [--size 1G] [--seed N] [--repeat FILE] OUT\n"
                "Writes a realistic dmesg-format kernel log of about SIZE bytes to OUT ('-' = stdout).\n"
                "--repeat FILE: the dmesg-stamped lines of FILE repeated instead (restamped, increasing).");
      return 0;
    }
    if (a == "--size" && i + 1 < argc) {
      auto v = oomlab::parse_size(argv[++i]);
      if (!v || *v == 0) {
        std::fprintf(stderr, "oomlab-bench-genlog: bad --size %s\n", argv[i]);
        return 2;
      }
      size = *v;
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = argv[++i];
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "oomlab-bench-genlog: unknown option %s (try --help)\n", argv[i]);
      return 2;
    } else {
      out = argv[i];
    }
  }
  if (!out) {
    std::fprintf(stderr, "oomlab-bench-genlog: missing OUT (try --help)\n");
    return 2;
  }
  std::FILE* f = std::string_view(out) == "-" ? stdout : std::fopen(out, "wb");
  if (!f) {
    std::fprintf(stderr, "oomlab-bench-genlog: %s: %s\n", out, std::strerror(errno));
    return 2;
  }
  std::vector<std::pair<double, std::string>> lines;
  if (repeat && (!read_kernel_lines(repeat, lines) || lines.empty())) {
    std::fprintf(stderr, "oomlab-bench-genlog: %s: no dmesg-stamped lines to repeat\n", repeat);
    return 2;
  }
  Rng r{seed * 0x9E3779B97F4A7C15ULL + 1};
  if (repeat) {
    repeat_lines(f, lines, size);
  } else {
    Writer w(f);
    std::uint64_t n = 0;
    while (w.bytes < size) {
      w.ts += r.below(5000) / 1e6;
      ++n;
      // Offsets keep the periods from landing on the same line.
      if (n % 50000 == 0) oom_report(w, r);
      else if (n % 4000 == 1000) memalloc_info(w, r);
      else if (n % 120000 == 7) task_dump(w, r, true);
      else if (n % 90000 == 11) warning(w, r);
      else if (n % 300000 == 13) for (int i = 0; i < 20; ++i) task_dump(w, r, false);
      else noise(w, r);
    }
  }
  if (f != stdout && std::fclose(f) != 0) {
    std::perror("oomlab-bench-genlog: close");
    return 1;
  }
  return 0;
}
