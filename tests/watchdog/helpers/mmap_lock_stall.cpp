// oomlab-test-mmap-lock-stall: a process whose mmap lock stays held, with
// tasks stuck in D state behind it, for as long as the test wants.
//
// Why this construction: on 6.x kernels page faults run under per-VMA locks and
// userfaultfd drops every lock before sleeping, so the classic holders no longer
// hold anything. A GUP with no unlock permission still does: a read of
// /proc/self/mem takes mmap_read_lock and faults the page in without
// FAULT_FLAG_ALLOW_RETRY, so when the page is a FUSE file page whose READ the
// server never answers, the reader sleeps on the folio lock holding mmap_lock
// for read. A second thread's mmap() then waits for the write lock (D state),
// and every later reader (ps, /proc/PID/cmdline) queues behind it.
//
// Layout: a private mount namespace (no mount outlives us), a child process
// serving FUSE (dies with us: PDEATHSIG), the "holder" thread reading
// /proc/self/mem, the "writer" thread calling mmap(). Prints "ready PID" once
// the writer is in D state. Ends after --seconds or on SIGTERM/SIGINT by
// killing the server, which aborts the FUSE connection and frees everyone.
// Optional: --rss SIZE touches that much anonymous memory first (victim tests);
// --writers N puts N threads in D behind the lock instead of one, --sleepers M
// adds M threads asleep on a pipe (S state) (the load test: thousands of
// tasks, a thousand of them blocked). --server-outlives keeps the FUSE server
// alive when this process is killed (no PDEATHSIG, no watch): the holder then
// never finishes its READ, so a SIGKILLed process never finishes exiting - an
// OOM victim that does not die - until the server (its pid is in the ready
// line) is killed.
#include <linux/fuse.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <chrono>
#include <climits>
#include <pthread.h>
#include <thread>
#include <vector>
#include <unistd.h>

#include "oomlab/facts/proc_stat.hpp"

namespace {

constexpr std::uint64_t kFileNode = 2;
constexpr std::uint64_t kFileSize = 1 << 20;

void reply(int fd, std::uint64_t unique, int error, const void* body, std::size_t len) {
  char buf[4096];
  auto* out = reinterpret_cast<fuse_out_header*>(buf);
  out->unique = unique;
  out->error = error;
  out->len = static_cast<std::uint32_t>(sizeof(*out) + len);
  if (len) std::memcpy(buf + sizeof(*out), body, len);
  if (::write(fd, buf, out->len) < 0) {
    // The kernel may have dropped the request (interrupted); nothing to do.
  }
}

void fill_attr(fuse_attr& a, std::uint64_t node) {
  std::memset(&a, 0, sizeof a);
  a.ino = node;
  a.nlink = 1;
  if (node == FUSE_ROOT_ID) {
    a.mode = S_IFDIR | 0755;
  } else {
    a.mode = S_IFREG | 0644;
    a.size = kFileSize;
    a.blocks = kFileSize / 512;
  }
}

// Written (one byte) when the first READ arrives: the holder is then inside
// its fault, holding the mmap lock.
int g_read_seen_fd = -1;

// True once the process that forked us has started to exit (PF_EXITING in
// its main thread's /proc stat flags) or is gone.
bool parent_exiting(pid_t parent) {
  if (::getppid() != parent) return true;
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/%d/stat", parent);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return true;
  oomlab::facts::ProcStat st;
  if (!oomlab::facts::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)), st) || st.fields < 9) return true;
  const std::uint64_t flags = st.flags;
  constexpr unsigned long kPfExiting = 0x4;
  return (flags & kPfExiting) != 0;
}

// Answers everything a mount + open + mmap needs; never answers READ.
// Ends (aborting the connection, which fails the READ and frees the holder)
// as soon as the parent starts to exit. PR_SET_PDEATHSIG alone is too late:
// it fires in exit_notify(), after exit_mm() has taken the mmap lock for
// read, and with thousands of threads that wait can last forever - killed
// writers leave the lock's queue, but the rwsem wakes at most 256 queued
// readers per event while the holder keeps the lock read-held, so the rest
// (the main thread among them) never get it (6.18: the killed load-test
// process sat 9 minutes with 4,487 threads in do_exit).
bool server_outlives = false;

// 256 KiB of stack below the caller's frame, touched: the stack VMA keeps
// the pages, so later calls and signal frames at that depth never fault a
// new stack page in (which takes the mmap lock for write). In a function of
// its own: an array in main's frame would move main's stack pointer below
// the touched pages instead.
[[gnu::noinline]] void prefault_stack_below() {
  volatile char reserve[256 << 10];
  for (std::size_t i = 0; i < sizeof reserve; i += 4096) reserve[i] = 0;
  reserve[sizeof reserve - 1] = 0;
}

[[noreturn]] void serve_fuse(int fd, pid_t parent) {
  static char buf[1 << 20 | 4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 0) {
      if (!server_outlives && parent_exiting(parent)) _exit(0);
      continue;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      if (errno != ENODEV) std::fprintf(stderr, "fuse server: read: %s\n", strerror(errno));
      _exit(0);  // ENODEV: unmounted
    }
    auto* in = reinterpret_cast<fuse_in_header*>(buf);
    const char* arg = buf + sizeof(*in);
    switch (in->opcode) {
      case FUSE_INIT: {
        auto* ii = reinterpret_cast<const fuse_init_in*>(arg);
        fuse_init_out o{};
        o.major = FUSE_KERNEL_VERSION;
        o.minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ? ii->minor : FUSE_KERNEL_MINOR_VERSION;
        o.max_readahead = ii->max_readahead;
        o.max_write = 4096;
        reply(fd, in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_LOOKUP: {
        if (std::strcmp(arg, "f") != 0) {
          reply(fd, in->unique, -ENOENT, nullptr, 0);
          break;
        }
        fuse_entry_out e{};
        e.nodeid = kFileNode;
        e.entry_valid = e.attr_valid = 3600;
        fill_attr(e.attr, kFileNode);
        reply(fd, in->unique, 0, &e, sizeof e);
        break;
      }
      case FUSE_GETATTR: {
        fuse_attr_out a{};
        a.attr_valid = 3600;
        fill_attr(a.attr, in->nodeid);
        reply(fd, in->unique, 0, &a, sizeof a);
        break;
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        fuse_open_out o{};
        o.fh = 1;
        reply(fd, in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_READ:  // the point: the folio stays locked
        if (g_read_seen_fd >= 0 && ::write(g_read_seen_fd, "r", 1) == 1) {
          ::close(g_read_seen_fd);
          g_read_seen_fd = -1;
        }
        break;
      case FUSE_FORGET:
      case FUSE_BATCH_FORGET:
      case FUSE_INTERRUPT:  // no reply expected / wanted
        break;
      case FUSE_FLUSH:
      case FUSE_RELEASE:
      case FUSE_RELEASEDIR:
      case FUSE_DESTROY:
        reply(fd, in->unique, 0, nullptr, 0);
        break;
      default:
        reply(fd, in->unique, -ENOSYS, nullptr, 0);
    }
  }
}

// Not inlined: its buffer must lie below main's frame, in the stack that
// prefault_stack_below() made present and writable after the fork. The
// kernel's copy_to_user() into a page that is absent or still shared
// copy-on-write with the FUSE server faults in kernel mode, and x86 takes
// the mmap lock (not the per-VMA lock) for such faults: with this helper's
// writers queued, main then hung in D forever (caught: wchan
// lock_mm_and_find_vma under seq_read of a task's stat; 1 run in ~10).
[[gnu::noinline]] char task_state(pid_t tid) {
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  int fd = ::open(path, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return '?';
  oomlab::facts::ProcStat st;
  return oomlab::facts::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)), st) ? st.state : '?';
}

std::atomic<pid_t> holder_tid{0}, writer_tid{0};
std::atomic<int> writers_started{0}, sleepers_started{0};
int sleep_pipe[2] = {-1, -1};

// Small stacks: thousands of threads, none of which needs more.
pthread_t spawn(void* (*fn)(void*), void* arg) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 64 << 10);
  pthread_t t;
  int e = pthread_create(&t, &a, fn, arg);
  pthread_attr_destroy(&a);
  if (e != 0) {
    std::fprintf(stderr, "oomlab-test-mmap-lock-stall: pthread_create: %s\n", strerror(e));
    std::exit(2);
  }
  return t;
}
volatile sig_atomic_t stop = 0;
void on_signal(int) { stop = 1; }

int usage(const char* msg) {
  std::fprintf(stderr, "oomlab-test-mmap-lock-stall: %s\n", msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 30;
  std::size_t rss = 0;
  int writers = 1, sleepers = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::puts("usage: oomlab-test-mmap-lock-stall [--seconds N] [--rss MiB] [--writers N] [--sleepers M]\n"
                "       [--server-outlives]\n"
                "Holds its own mmap lock (FUSE page + /proc/self/mem read) with a writer in D state.");
      return 0;
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atoi(argv[++i]);
    } else if (a == "--writers" && i + 1 < argc) {
      writers = std::atoi(argv[++i]);
      if (writers < 1 || writers > 100000) return usage("--writers: 1..100000");
    } else if (a == "--sleepers" && i + 1 < argc) {
      sleepers = std::atoi(argv[++i]);
      if (sleepers < 0 || sleepers > 100000) return usage("--sleepers: 0..100000");
    } else if (a == "--rss" && i + 1 < argc) {
      rss = std::strtoull(argv[++i], nullptr, 10) << 20;
    } else if (a == "--server-outlives") {
      server_outlives = true;
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (rss) {
    auto* p = static_cast<char*>(mmap(nullptr, rss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) return usage("cannot map --rss memory");
    for (std::size_t off = 0; off < rss; off += 4096) p[off] = 1;
  }
  if (unshare(CLONE_NEWNS) != 0) return usage(("unshare(CLONE_NEWNS): " + std::string(strerror(errno))).c_str());
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return usage("cannot make / private");
  // A tmpfs over /tmp in our namespace only: the mount point dies with us
  // even when we are SIGKILLed (victim tests do exactly that).
  if (mount("oomlab-test", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0)
    return usage("cannot mount a private tmpfs on /tmp");
  char dir[] = "/tmp/oomlab-fuse-XXXXXX";
  if (!mkdtemp(dir)) return usage("mkdtemp failed");
  int fuse = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse < 0) { rmdir(dir); return usage(("/dev/fuse: " + std::string(strerror(errno))).c_str()); }
  std::string opts = "fd=" + std::to_string(fuse) + ",rootmode=40000,user_id=0,group_id=0";
  if (mount("oomlab-test", dir, "fuse", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    rmdir(dir);
    return usage(("mount fuse: " + std::string(strerror(errno))).c_str());
  }
  int read_seen[2];
  if (pipe2(read_seen, O_CLOEXEC) != 0) return usage("pipe failed");
  const pid_t parent = getpid();
  pid_t server = fork();
  if (server == 0) {
    if (!server_outlives) prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(read_seen[0]);
    g_read_seen_fd = read_seen[1];
    serve_fuse(fuse, parent);
  }
  ::close(fuse);
  ::close(read_seen[1]);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  std::string file = std::string(dir) + "/f";
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) { kill(server, SIGKILL); return usage("cannot open the FUSE file"); }
  void* page = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  if (page == MAP_FAILED) { kill(server, SIGKILL); return usage("cannot mmap the FUSE file"); }

  // Every thread exists before the lock is taken: from then on nothing in
  // this process may map memory (thread stacks, malloc growth) or it joins the
  // queue behind the writer.
  // The threads wait for their phase on a futex, never by polling: a
  // thousand threads each waking every millisecond kept two CPUs busy and
  // made starting the load test's 5,000 threads take 87 s. Raw futex calls:
  // what they do is exactly what the kernel documents.
  std::atomic<int> phase{0};
  auto await_phase = [](std::atomic<int>& ph, int want) {
    for (int v = ph.load(); v < want; v = ph.load())
      ::syscall(SYS_futex, reinterpret_cast<int*>(&ph), FUTEX_WAIT_PRIVATE, v, nullptr, nullptr, 0);
  };
  auto set_phase = [&phase](int v) {
    phase = v;
    ::syscall(SYS_futex, reinterpret_cast<int*>(&phase), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
  };
  // The main thread's stack must not grow once the lock is held: growing a
  // stack takes the mmap lock for write, which would queue this thread behind
  // its own writers for good (no "ready" line, or no exit on SIGTERM: the
  // signal frame is written below the stack pointer). Touch, below this
  // frame, what every later call and signal frame can use.
  prefault_stack_below();
  std::thread holder([page, &phase, await_phase] {
    holder_tid = gettid();
    int mem = ::open("/proc/self/mem", O_RDONLY);
    await_phase(phase, 1);
    char c;
    if (pread(mem, &c, 1, reinterpret_cast<off_t>(page)) < 0) {
      // EIO once the server is gone: the lock is released, which is the end.
    }
    ::close(mem);
  });
  static std::atomic<int>* phase_ptr = &phase;
  static std::vector<std::atomic<pid_t>> writer_tids(static_cast<std::size_t>(writers));
  std::vector<pthread_t> threads;
  for (int i = 0; i < writers; ++i) {
    threads.push_back(spawn(
        [](void* arg) -> void* {
          auto& slot = writer_tids[reinterpret_cast<std::size_t>(arg)];
          slot = gettid();
          if (&slot == &writer_tids[0]) writer_tid = slot.load();
          ++writers_started;
          for (int v = phase_ptr->load(); v < 2; v = phase_ptr->load())
            ::syscall(SYS_futex, reinterpret_cast<int*>(phase_ptr), FUTEX_WAIT_PRIVATE, v, nullptr, nullptr, 0);
          mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          return nullptr;
        },
        reinterpret_cast<void*>(static_cast<std::size_t>(i))));
  }
  if (sleepers > 0 && pipe2(sleep_pipe, O_CLOEXEC) != 0) return usage("pipe failed");
  for (int i = 0; i < sleepers; ++i) {
    threads.push_back(spawn(
        [](void*) -> void* {
          ++sleepers_started;
          char c;
          while (::read(sleep_pipe[0], &c, 1) < 0 && errno == EINTR) {
          }
          return nullptr;   // EOF: the main thread closed the write end
        },
        nullptr));
  }
  while (!holder_tid || writers_started.load() < writers || sleepers_started.load() < sleepers) usleep(1000);
  set_phase(1);
  // The holder sleeps in the FUSE request wait (S state) holding the lock
  // once the server has its READ (waited for, not slept: a loaded machine
  // can take long to get there); then the writer must end up in D behind it.
  pollfd seen{read_seen[0], POLLIN, 0};
  char r;
  auto join_all = [&] {
    if (sleep_pipe[1] >= 0) ::close(sleep_pipe[1]);
    holder.join();
    for (pthread_t t : threads) pthread_join(t, nullptr);
  };
  if (poll(&seen, 1, 60000) != 1 || ::read(read_seen[0], &r, 1) != 1) {
    kill(server, SIGKILL);
    set_phase(2);
    join_all();
    return usage("the holder's read never reached the FUSE server");
  }
  ::close(read_seen[0]);
  set_phase(2);
  // Every writer in D: a writer once seen in D stays there (it waits for a
  // lock that is never released), so each is read until it is, not every
  // time (a thousand /proc reads per round made the wait long under load).
  std::size_t next_unblocked = 0;
  char last_state = '?';
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (next_unblocked < writer_tids.size()) {
    last_state = task_state(writer_tids[next_unblocked].load());
    if (last_state == 'D') {
      ++next_unblocked;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline || stop) {
      char why[128];
      std::snprintf(why, sizeof why, "the writers never blocked behind the mmap lock (%zu of %zu in D; next in state %c)",
                    next_unblocked, writer_tids.size(), last_state);
      kill(server, SIGKILL);  // aborts the connection: every thread returns
      join_all();
      return usage(why);
    }
    usleep(10000);
  }
  char line[128];
  int len = std::snprintf(line, sizeof line, "ready %d holder=%d writer=%d server=%d\n", getpid(), holder_tid.load(),
                          writer_tid.load(), server);
  if (::write(1, line, static_cast<std::size_t>(len)) < 0) return 1;
  for (int i = 0; i < seconds * 10 && !stop; ++i) usleep(100000);
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  join_all();
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  return 0;
}
