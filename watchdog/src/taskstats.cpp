#include "oomlab/watchdog/taskstats.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <linux/taskstats.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomlab/common/procfs_once.hpp"

namespace oomlab::watchdog {
namespace {

struct Reply {
  pid_t tid;
  DelayTotals* out;
  bool matched = false;
};

// Copies the fields we use out of a struct taskstats payload of any version:
// the struct only ever grows at its end, so an older kernel's shorter payload
// leaves the newer fields at 0 and a newer kernel's longer one is cut.
void copy_totals(const void* payload, int len, DelayTotals& out) {
  taskstats ts{};
  std::memcpy(&ts, payload, std::min<std::size_t>(sizeof ts, static_cast<std::size_t>(std::max(len, 0))));
  out.reclaim_ns = ts.freepages_delay_total;
  out.thrashing_ns = ts.thrashing_delay_total;
  out.compact_ns = ts.compact_delay_total;
  out.swapin_ns = ts.swapin_delay_total;
  out.blkio_ns = ts.blkio_delay_total;
}

int on_message(nl_msg* msg, void* arg) {
  auto* r = static_cast<Reply*>(arg);
  nlattr* top[TASKSTATS_TYPE_MAX + 1];
  if (genlmsg_parse(nlmsg_hdr(msg), 0, top, TASKSTATS_TYPE_MAX, nullptr) < 0 || !top[TASKSTATS_TYPE_AGGR_PID])
    return NL_SKIP;
  nlattr* agg[TASKSTATS_TYPE_MAX + 1];
  if (nla_parse_nested(agg, TASKSTATS_TYPE_MAX, top[TASKSTATS_TYPE_AGGR_PID], nullptr) < 0) return NL_SKIP;
  // A late answer to an earlier query that timed out names another pid.
  if (!agg[TASKSTATS_TYPE_PID] || !agg[TASKSTATS_TYPE_STATS] ||
      static_cast<pid_t>(nla_get_u32(agg[TASKSTATS_TYPE_PID])) != r->tid)
    return NL_SKIP;
  copy_totals(nla_data(agg[TASKSTATS_TYPE_STATS]), nla_len(agg[TASKSTATS_TYPE_STATS]), *r->out);
  r->matched = true;
  return NL_STOP;
}

}  // namespace

std::unique_ptr<TaskstatsClient> TaskstatsClient::open(std::string& why_not) {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) {
    why_not = "out of memory";
    return nullptr;
  }
  if (int rc = genl_connect(sock); rc < 0) {
    why_not = std::string("generic netlink: ") + nl_geterror(rc);
    nl_socket_free(sock);
    return nullptr;
  }
  int family = genl_ctrl_resolve(sock, TASKSTATS_GENL_NAME);
  if (family < 0) {
    why_not = "no taskstats family (kernel without CONFIG_TASKSTATS, or not in the initial network namespace)";
    nl_socket_free(sock);
    return nullptr;
  }
  // Replies are matched by pid (on_message), not by sequence number, so a
  // late reply to a timed-out query is skipped instead of failing the next.
  nl_socket_disable_seq_check(sock);
  timeval tv{0, 100000};
  ::setsockopt(nl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::unique_ptr<TaskstatsClient> client(new TaskstatsClient(sock, family));
  DelayTotals self;
  int rc = client->receive_reply(static_cast<pid_t>(::syscall(SYS_gettid)), self);
  if (rc < 0) {
    why_not = std::string("TASKSTATS_CMD_GET refused: ") + (rc == -NLE_PERM ? "needs CAP_NET_ADMIN" : nl_geterror(rc));
    return nullptr;
  }
  client->queries_ = 0;
  return client;
}

TaskstatsClient::~TaskstatsClient() { nl_socket_free(sock_); }

bool TaskstatsClient::query(pid_t tid, DelayTotals& out) { return receive_reply(tid, out) > 0; }

// 1: answered; 0: no answer (gone, timeout); < 0: -NLE_* error from the kernel.
int TaskstatsClient::receive_reply(pid_t tid, DelayTotals& out) {
  ++queries_;
  nl_msg* msg = nlmsg_alloc();
  if (!msg) return 0;
  int rc = -NLE_NOMEM;
  if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, TASKSTATS_CMD_GET, TASKSTATS_VERSION) &&
      nla_put_u32(msg, TASKSTATS_CMD_ATTR_PID, static_cast<std::uint32_t>(tid)) == 0)
    rc = nl_send_auto(sock_, msg);
  nlmsg_free(msg);
  if (rc < 0) return rc;
  Reply reply{tid, &out};
  nl_socket_modify_cb(sock_, NL_CB_VALID, NL_CB_CUSTOM, on_message, &reply);
  // At most a few stale replies stand before ours; an error (ESRCH for a
  // task that exited) ends the wait at once, the socket timeout (100 ms a round) bounds it.
  for (int round = 0; round < 4 && !reply.matched; ++round) {
    rc = nl_recvmsgs_default(sock_);
    if (rc < 0) return rc == -NLE_OBJ_NOTFOUND ? 0 : rc;
  }
  return reply.matched ? 1 : 0;
}

std::string task_delayacct_path(const std::string& proc_root) { return proc_root + "/sys/kernel/task_delayacct"; }

int read_task_delayacct_at(const char* path) {
  char buf[8];
  long n = read_proc_file_once(path, buf, sizeof buf - 1);
  if (n <= 0) return -1;
  return buf[0] == '1' ? 1 : buf[0] == '0' ? 0 : -1;
}

bool write_task_delayacct(const std::string& proc_root, bool on, std::string& err) {
  std::string path = task_delayacct_path(proc_root);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, on ? "1\n" : "0\n", 2) != 2) {
    err = path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace oomlab::watchdog
