#include "slow_fuse.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "scenario_kit.hpp"

namespace oomlab::repro::kit {
namespace {

constexpr std::uint64_t kRootNode = FUSE_ROOT_ID;
constexpr std::uint64_t kFileNode = 2;
constexpr const char* kFileName = "data";

void reply(int dev, std::uint64_t unique, int error, const void* data = nullptr, std::size_t len = 0) {
  fuse_out_header out{};
  out.len = static_cast<std::uint32_t>(sizeof out + len);
  out.error = error;  // 0 or -errno
  out.unique = unique;
  iovec iov[2] = {{&out, sizeof out}, {const_cast<void*>(data), len}};
  // ENOENT: the request was interrupted meanwhile - nothing to do.
  (void)!::writev(dev, iov, len ? 2 : 1);
}

fuse_attr attr_of(std::uint64_t node, std::uint64_t file_bytes) {
  fuse_attr a{};
  a.ino = node;
  a.nlink = 1;
  a.blksize = 4096;
  if (node == kRootNode) {
    a.mode = S_IFDIR | 0555;
    a.nlink = 2;
  } else {
    a.mode = S_IFREG | 0444;
    a.size = file_bytes;
    a.blocks = (file_bytes + 511) / 512;
  }
  return a;
}

// Serves requests until the connection ends. READs are answered from their
// own thread after the delay, so a slow read never blocks LOOKUP/GETATTR.
[[noreturn]] void serve(int dev, const SlowFuseConfig& cfg) {
  name_task("slow-fuse");
  std::vector<char> buf(FUSE_MIN_READ_BUFFER + (1 << 20));
  for (;;) {
    const ssize_t n = ::read(dev, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < static_cast<ssize_t>(sizeof(fuse_in_header))) ::_exit(0);  // unmounted / aborted
    fuse_in_header in{};
    std::memcpy(&in, buf.data(), sizeof in);
    const char* arg = buf.data() + sizeof in;
    switch (in.opcode) {
      case FUSE_INIT: {
        fuse_init_in init_in{};
        std::memcpy(&init_in, arg, std::min<std::size_t>(sizeof init_in, n - sizeof in));
        fuse_init_out out{};
        out.major = FUSE_KERNEL_VERSION;
        out.minor = FUSE_KERNEL_MINOR_VERSION;
        out.max_readahead = std::min<std::uint32_t>(init_in.max_readahead, 128 * 1024);
        out.max_write = 128 * 1024;
        out.max_background = 16;
        out.congestion_threshold = 12;
        out.time_gran = 1;
        reply(dev, in.unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_LOOKUP: {
        if (in.nodeid != kRootNode || std::strcmp(arg, kFileName) != 0) {
          reply(dev, in.unique, -ENOENT);
          break;
        }
        fuse_entry_out out{};
        out.nodeid = kFileNode;
        out.entry_valid = out.attr_valid = 3600;
        out.attr = attr_of(kFileNode, cfg.file_bytes);
        reply(dev, in.unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_GETATTR: {
        fuse_attr_out out{};
        out.attr_valid = 3600;
        out.attr = attr_of(in.nodeid, cfg.file_bytes);
        reply(dev, in.unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_OPEN: {
        fuse_open_out out{};
        out.fh = 1;
        out.open_flags = FOPEN_KEEP_CACHE;  // only memory pressure evicts the pages
        reply(dev, in.unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_READ: {
        fuse_read_in rd{};
        std::memcpy(&rd, arg, sizeof rd);
        const std::uint64_t end = std::min<std::uint64_t>(cfg.file_bytes, rd.offset + rd.size);
        const std::size_t len = end > rd.offset ? static_cast<std::size_t>(end - rd.offset) : 0;
        std::thread([dev, unique = in.unique, len, delay = cfg.read_delay] {
          std::this_thread::sleep_for(delay);
          std::vector<char> data(len, 'f');
          reply(dev, unique, 0, data.data(), data.size());
        }).detach();
        break;
      }
      case FUSE_FORGET:
      case FUSE_BATCH_FORGET:
      case FUSE_INTERRUPT:  // the delayed reply still comes; the kernel drops it
        break;
      case FUSE_RELEASE:
      case FUSE_FLUSH:
        reply(dev, in.unique, 0);
        break;
      case FUSE_DESTROY:
        reply(dev, in.unique, 0);
        ::_exit(0);
      default:
        reply(dev, in.unique, -ENOSYS);
    }
  }
}

}  // namespace

pid_t start_slow_fuse(const SlowFuseConfig& config) {
  if (::unshare(CLONE_NEWNS) != 0)
    throw WorkloadError(std::string("unshare(CLONE_NEWNS) for a private FUSE mount: ") + std::strerror(errno));
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw WorkloadError(std::string("making the mount namespace private: ") + std::strerror(errno));
  ::mkdir(config.mount_dir.c_str(), 0755);
  const int dev = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (dev < 0) throw WorkloadError(std::string("open /dev/fuse: ") + std::strerror(errno));
  const std::string opts = "fd=" + std::to_string(dev) + ",rootmode=40000,user_id=0,group_id=0,allow_other";
  if (::mount("oomlab-slow", config.mount_dir.c_str(), "fuse.oomlab-slow", MS_NOSUID | MS_NODEV | MS_RDONLY,
              opts.c_str()) != 0) {
    const int err = errno;
    ::close(dev);
    throw WorkloadError("mount FUSE on " + config.mount_dir + ": " + std::strerror(err));
  }
  const pid_t server = spawn([&]() -> int { serve(dev, config); });
  ::close(dev);
  return server;
}

}  // namespace oomlab::repro::kit
