#include "oomlab/watchdog/task_iter.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "task_record.h"

#ifdef OOMLAB_WATCHDOG_TASK_ITER
#include <bpf/libbpf.h>

#include "task_iter.skel.h"
#endif

namespace oomlab::watchdog {
namespace {

// What one read() of the iterator returns at most (the kernel's seq buffer
// is 8 pages), plus a record split across two reads.
[[maybe_unused]] constexpr std::size_t kChunk = 8 * 4096 + sizeof(oomlab_task_record);

#ifdef OOMLAB_WATCHDOG_TASK_ITER
// In the child only: libbpf's first warning, the reason sent back.
char g_libbpf_warning[200];

int keep_first_warning(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level != LIBBPF_WARN || g_libbpf_warning[0]) return 0;
  std::vsnprintf(g_libbpf_warning, sizeof g_libbpf_warning, fmt, ap);
  if (char* nl = std::strchr(g_libbpf_warning, '\n')) *nl = 0;
  return 0;
}

// The child's work: load, attach, return the link's fd (-1 and why).
int load_link(char* why, std::size_t n) {
  libbpf_set_print(keep_first_warning);
  task_iter_bpf* skel = task_iter_bpf__open_and_load();
  if (!skel) {
    int e = errno;
    std::snprintf(why, n, "cannot load the task iterator: %s", g_libbpf_warning[0] ? g_libbpf_warning : std::strerror(e));
    return -1;
  }
  bpf_link* link = bpf_program__attach_iter(skel->progs.oomlab_tasks, nullptr);
  if (!link) {
    int e = errno;
    std::snprintf(why, n, "cannot attach the task iterator: %s", g_libbpf_warning[0] ? g_libbpf_warning : std::strerror(e));
    return -1;
  }
  return bpf_link__fd(link);  // the process exits with skel and link: only the fd sent lives on
}

// The link's fd from the child (-1 and why).
int receive_link(int sock, pid_t child, std::string& why) {
  pollfd p{sock, POLLIN, 0};
  int ready = -1;
  do ready = ::poll(&p, 1, 60000);  // a BTF parse on a loaded machine: seconds at worst
  while (ready < 0 && errno == EINTR);
  int fd = -1;
  if (ready <= 0) {
    why = "the task iterator's loader did not answer within 60 s";
    ::kill(child, SIGKILL);
  } else {
    char text[256] = {};
    iovec iov{text, sizeof text - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    if (fd < 0) why = n > 0 && text[0] ? text : "the task iterator's loader ended without an answer";
  }
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  return fd;
}
#endif

}  // namespace

char task_state_letter(unsigned state, unsigned exit_state) {
  // include/linux/sched.h (6.x): TASK_REPORT 0x7f, TASK_IDLE 0x402,
  // TASK_RTLOCK_WAIT 0x1000, TASK_FROZEN 0x8000; TASK_REPORT_IDLE is the
  // bit after TASK_REPORT. fls() of the result indexes "RSDTtXZPI".
  unsigned s = (state | exit_state) & 0x7f;
  if ((state & 0x402) == 0x402) s = 0x80;
  if ((state & 0x1000) || (state & 0x8000)) s = 0x2;
  static const char letters[] = "RSDTtXZPI";
  int i = 0;
  while (s) {
    ++i;
    s >>= 1;
  }
  return letters[i];
}

void to_sample(const oomlab_task_record& r, TaskSample& t) {
  t = TaskSample{};
  t.tid = r.tid;
  t.tgid = r.tgid;
  std::memcpy(t.comm, r.comm, sizeof r.comm);
  t.comm[sizeof r.comm] = 0;
  t.state = task_state_letter(r.state, r.exit_state);
  t.flags = r.flags;
  t.sigpending = r.sigpending & 0x7fffffffUL;  // do_task_stat's mask
  // nsec_to_clock_t with USER_HZ 100, as /proc prints them.
  t.starttime = r.start_boottime / 10000000ull;
  t.rss_pages = r.rss_pages;
  t.blkio_ticks = r.blkio_delay / 10000000ull;
  t.num_threads = r.nr_threads;
}

void TaskIter::close() {
  if (link_fd_ >= 0) ::close(link_fd_);
  link_fd_ = -1;
}

TaskIter::~TaskIter() {
  if (link_fd_ >= 0) ::close(link_fd_);
}

bool TaskIter::open(std::string& why) {
#ifndef OOMLAB_WATCHDOG_TASK_ITER
  why = "built without BPF support";
  return false;
#else
  if (link_fd_ >= 0) return true;
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    why = "no kernel BTF (/sys/kernel/btf/vmlinux)";
    return false;
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    why = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  pid_t child = ::fork();
  if (child < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  if (child == 0) {
    ::close(sv[0]);
    // The daemon's -1000 is inherited: the loader, which allocates a few MB
    // for the BTF, goes first if memory runs out meanwhile (raising needs
    // no privilege).
    int adj = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (adj >= 0) {
      (void)!::write(adj, "1000", 4);
      ::close(adj);
    }
    char text[256] = {};
    int fd = load_link(text, sizeof text);
    iovec iov{text, std::strlen(text) + 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ::sendmsg(sv[1], &msg, MSG_NOSIGNAL);
    ::_exit(0);
  }
  ::close(sv[1]);
  link_fd_ = receive_link(sv[0], child, why);
  ::close(sv[0]);
  if (link_fd_ < 0) return false;
  buf_.resize(kChunk);
  // Pids as the kernel's initial namespace numbers them: ours only there.
  bool self = false;
  for_each_record([&](const oomlab_task_record& r) { self = self || (r.tid == ::getpid() && r.tgid == ::getpid()); });
  if (!self) {
    why = "the task iterator does not list this process under its pid (another pid namespace?)";
    ::close(link_fd_);
    link_fd_ = -1;
    buf_ = {};
    return false;
  }
  return true;
#endif
}

template <typename F>
bool TaskIter::for_each_record(F&& f) {
  if (link_fd_ < 0) return false;
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.iter_create.link_fd = static_cast<__u32>(link_fd_);
  int fd = static_cast<int>(::syscall(__NR_bpf, BPF_ITER_CREATE, &attr, sizeof attr));
  if (fd < 0) return false;
  std::size_t have = 0;
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buf_.data() + have, buf_.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0 && have == 0;
      break;
    }
    have += static_cast<std::size_t>(n);
    std::size_t off = 0;
    for (; have - off >= sizeof(oomlab_task_record); off += sizeof(oomlab_task_record)) {
      oomlab_task_record r;
      std::memcpy(&r, buf_.data() + off, sizeof r);
      f(r);
    }
    std::memmove(buf_.data(), buf_.data() + off, have - off);
    have -= off;
  }
  ::close(fd);
  return ok;
}

bool TaskIter::read(std::vector<TaskSample>& out, std::size_t max, Pass& pass) {
  return for_each_record([&](const oomlab_task_record& r) {
    if (r.flags & kPfKthread) {
      ++pass.kthreads;
    } else if (out.size() >= max) {
      ++pass.dropped;
    } else {
      out.emplace_back();
      to_sample(r, out.back());
    }
  });
}

}  // namespace oomlab::watchdog
