// The idle probe (group_probe.hpp) only for groups that hold a task. An
// empty watched group cannot stall, yet the probe's tick woke the loop every
// period for it (~165 us of CPU each on the build host: the wake-up, the
// group's listing, its PSI files - 2-2.5x earlyoom's whole budget by
// itself). cgroup2 says when a group (or a descendant) gains or loses its
// last live task: cgroup.events' "populated" line, whose every change the
// kernel signals to inotify watchers. So while every probed group reads
// "populated 0" the idle loop keeps no period tick for them, and a change
// wakes it: the probe runs at once and the tick is back at the period - a
// task entering the group is looked at within the same period it would
// have been before.
//
// Where the file comes from: the probed directory's own (cgroup2, a v2
// host's --scope group), or, for the --scope group of a v1 memory
// hierarchy (which has no such file), its cgroup2 twin's when that twin is
// a --watch-cgroup directory - the same pairing probe_dirs() relies on when
// it lists the scope alone. A probed group with neither (v1 without a
// named twin) keeps the period probe: nothing would say when it fills.
#include <cerrno>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oomlab/common/procfs.hpp"
#include "oomlab/facts/cgroup_hierarchy.hpp"
#include "oomlab/watchdog/engine.hpp"

namespace oomlab::watchdog {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string Engine::populated_file(const std::string& dir) const {
  const std::string own = dir + "/cgroup.events";
  if (exists(own)) return own;
  const bool scoped = !opt_.scope.empty() && opt_.scope != "/";
  if (scoped && dir == cgroups_.root() + opt_.scope)
    for (const WatchedGroup& w : watched_)
      if (w.cgroup == opt_.scope && exists(w.dir + "/cgroup.events")) return w.dir + "/cgroup.events";
  return {};
}

void Engine::watch_populated() {
  if (populated_sd_) {
    boost::system::error_code ignored;
    populated_sd_->close(ignored);  // its pending wait ends with operation_aborted
    populated_sd_.reset();
  }
  populated_files_.clear();
  groups_empty_ = false;
  if (probe_dirs_->empty()) return;
  for (const std::string& d : *probe_dirs_) {
    std::string f = populated_file(d);
    if (f.empty()) return;  // one group nothing tells about: probe every period
    populated_files_.push_back(std::move(f));
  }
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    populated_files_.clear();
    return;
  }
  // Watched before the first read: no change between the two goes unseen.
  for (const std::string& f : populated_files_)
    if (::inotify_add_watch(fd, f.c_str(), IN_MODIFY) < 0) {
      ::close(fd);
      populated_files_.clear();
      return;
    }
  populated_sd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  read_populated();
  arm_populated();
}

void Engine::resume_probe_ticks() {
  // A reload that gave a group with tasks (or one nothing tells about)
  // while the tick waits for the far safety deadline: back to the period.
  if (!tick_idle_ || stopping_ || probe_dirs_->empty() || groups_empty_) return;
  next_tick_ = asio::steady_timer::clock_type::now();
  schedule_tick();
}

void Engine::read_populated() {
  bool empty = !populated_files_.empty();
  char buf[256];
  for (const std::string& f : populated_files_) {
    long n = read_proc_file_into(f.c_str(), buf, sizeof buf - 1);
    // Unreadable (the group was removed): probe, as before.
    auto populated = n > 0 ? facts::cgroup_populated(std::string_view(buf, static_cast<std::size_t>(n))) : std::nullopt;
    if (populated.value_or(true)) empty = false;
  }
  groups_empty_ = empty;
}

void Engine::arm_populated() {
  populated_sd_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopping_ || !populated_sd_) return;
    alignas(inotify_event) char events[1024];
    while (::read(populated_sd_->native_handle(), events, sizeof events) > 0) {
    }
    const bool was_empty = groups_empty_;
    read_populated();
    ++metrics_.populated_changes;
    if (was_empty && !groups_empty_ && tick_idle_) {
      // A task entered: look at it now, and every period from here on.
      start_probe();
      next_tick_ = asio::steady_timer::clock_type::now();
      schedule_tick();
    }
    arm_populated();
  });
}

}  // namespace oomlab::watchdog
