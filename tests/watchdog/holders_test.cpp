// The holder finder on a fake /proc tree: fd links made with symlink(2)
// (a link may dangle: only its text is read), stat and pipe sizes from
// tables standing in for the real probes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "oomlab/watchdog/holders.hpp"

using namespace oomlab::watchdog;
namespace fs = std::filesystem;

namespace {

struct FakeProc {
  fs::path root;
  std::map<std::string, struct stat> stats;          // by fd path
  std::map<std::pair<pid_t, int>, std::uint64_t> pipes;  // unread bytes by (pid, fd)
  std::vector<std::string> probed;                       // fd paths stat'ed

  FakeProc() {
    char tmpl[] = "/tmp/oomlab-holders-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~FakeProc() { fs::remove_all(root); }
  std::string proc() const { return (root / "proc").string(); }
  std::string fd(pid_t pid, int n, const std::string& target) {
    fs::path dir = root / "proc" / std::to_string(pid) / "fd";
    fs::create_directories(dir);
    fs::path p = dir / std::to_string(n);
    fs::create_symlink(target, p);
    return p.string();
  }
  void file(const std::string& fd_path, std::uint64_t dev, std::uint64_t ino, std::uint64_t bytes, mode_t mode = S_IFREG) {
    struct stat st{};
    st.st_dev = dev;
    st.st_ino = ino;
    st.st_mode = mode | 0600;
    st.st_blocks = static_cast<blkcnt_t>(bytes / 512);
    stats[fd_path] = st;
  }
  HolderProbes probes() {
    HolderProbes p;
    p.stat_fd = [this](const std::string& path, struct stat& st) {
      probed.push_back(path);
      auto it = stats.find(path);
      if (it == stats.end()) return false;
      st = it->second;
      return true;
    };
    p.pipe_unread = [this](pid_t pid, int fd) -> std::optional<std::uint64_t> {
      auto it = pipes.find({pid, fd});
      if (it == pipes.end()) return std::nullopt;
      return it->second;
    };
    return p;
  }
};

const HeldObject* named(const std::vector<HeldObject>& v, const std::string& name) {
  for (const auto& o : v)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

TEST(Holders, LinkNames) {
  const std::vector<std::string> tmpfs{"/run", "/tmp/my dir"};
  EXPECT_TRUE(is_shmem_link("/memfd:oomlab-shmem-fill (deleted)", tmpfs));
  EXPECT_TRUE(is_shmem_link("/dev/shm/pulse-shm-1", tmpfs));
  EXPECT_TRUE(is_shmem_link("/SYSV00000000 (deleted)", tmpfs));
  EXPECT_TRUE(is_shmem_link("/run/user/0/big", tmpfs));
  EXPECT_TRUE(is_shmem_link("/tmp/my dir/x", tmpfs));
  EXPECT_FALSE(is_shmem_link("/running/x", tmpfs));  // a prefix is not a mount boundary
  EXPECT_FALSE(is_shmem_link("/run", tmpfs));
  EXPECT_FALSE(is_shmem_link("/usr/lib/libc.so.6", tmpfs));
  EXPECT_FALSE(is_shmem_link("socket:[123]", tmpfs));
  EXPECT_FALSE(is_shmem_link("anon_inode:[eventfd]", tmpfs));
  EXPECT_EQ(pipe_inode("pipe:[4026531]"), 4026531u);
  EXPECT_EQ(pipe_inode("pipe:[]"), 0u);
  EXPECT_EQ(pipe_inode("pipe:[12x]"), 0u);
  EXPECT_EQ(pipe_inode("socket:[12]"), 0u);
  EXPECT_EQ(pipe_inode("/pipe:[12]"), 0u);
}

TEST(Holders, TmpfsMountsFromMountsText) {
  const char* mounts =
      "sysfs /sys sysfs rw 0 0\n"
      "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
      "tmpfs /run tmpfs rw 0 0\n"
      "tmpfs /sys/fs/cgroup tmpfs ro 0 0\n"
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
      "tmpfs /tmp/my\\040dir tmpfs rw 0 0\n"
      "tmpfs /run tmpfs rw 0 0\n"
      "/dev/sda1 / ext4 rw 0 0\n"
      "broken-line\n";
  EXPECT_EQ(tmpfs_mounts(mounts), (std::vector<std::string>{"/dev/shm", "/run", "/tmp/my dir"}));
}

TEST(Holders, AMemfdHeldByThreeProcessesIsOneObjectTheyFreeTogether) {
  FakeProc f;
  const std::string memfd = "/memfd:oomlab-shmem-fill (deleted)";
  for (pid_t pid : {100, 101, 102}) f.file(f.fd(pid, 3, memfd), 0x10, 42, 230u << 20);
  f.fd(100, 0, "/dev/null");
  f.fd(100, 1, "socket:[9]");
  f.fd(101, 4, "/var/log/x.log");
  auto held = find_held({100, 101, 102, 999}, f.proc(), {"/dev/shm"}, f.probes());  // 999: gone
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].kind, HeldKind::Shmem);
  EXPECT_EQ(held[0].name, memfd);
  EXPECT_EQ(held[0].bytes, std::optional<std::uint64_t>(230u << 20));
  EXPECT_EQ(held[0].holders, (std::vector<pid_t>{100, 101, 102}));
  // Only shmem links are stat'ed (never the log file, never /dev/null).
  for (const auto& p : f.probed) EXPECT_NE(p.find("/fd/3"), std::string::npos) << p;
  auto hs = holdings_of(held);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].holders, (std::vector<pid_t>{100, 101, 102}));
  EXPECT_EQ(hs[0].bytes, 230u << 20);
  EXPECT_TRUE(hs[0].all_known);
  EXPECT_EQ(describe(hs[0]), "230.0 MiB in " + memfd);
}

TEST(Holders, PipesAreReadOnceAndGroupedByHolder) {
  FakeProc f;
  // pid 200 holds both ends of 3 pipes with 1 MiB unread each; pid 201 one
  // end of another pipe with 4 KiB; pid 202 a pipe whose size is unreadable.
  for (int i = 0; i < 3; ++i) {
    std::string link = "pipe:[" + std::to_string(500 + i) + "]";
    f.fd(200, 10 + 2 * i, link);
    f.fd(200, 11 + 2 * i, link);
    f.pipes[{200, 10 + 2 * i}] = 1u << 20;
    f.pipes[{200, 11 + 2 * i}] = 1u << 20;
  }
  f.fd(201, 3, "pipe:[600]");
  f.pipes[{201, 3}] = 4096;
  f.fd(202, 5, "pipe:[700]");
  auto held = find_held({200, 201, 202}, f.proc(), {}, f.probes());
  ASSERT_EQ(held.size(), 5u);
  const HeldObject* p500 = named(held, "pipe:[500]");
  ASSERT_NE(p500, nullptr);
  EXPECT_EQ(p500->kind, HeldKind::Pipe);
  EXPECT_EQ(p500->ino, 500u);
  EXPECT_EQ(p500->bytes, std::optional<std::uint64_t>(1u << 20));  // not 2 MiB: one buffer
  EXPECT_EQ(p500->holders, std::vector<pid_t>{200});
  EXPECT_FALSE(named(held, "pipe:[700]")->bytes.has_value());
  auto hs = holdings_of(held);
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(hs[0].holders, std::vector<pid_t>{200});
  EXPECT_EQ(hs[0].bytes, 3u << 20);
  EXPECT_EQ(hs[0].pipes, 3u);
  EXPECT_EQ(describe(hs[0]), "3.0 MiB in 3 pipe(s)");
  EXPECT_EQ(hs[1].holders, std::vector<pid_t>{201});
  EXPECT_EQ(hs[2].holders, std::vector<pid_t>{202});
  EXPECT_FALSE(hs[2].all_known);  // counted as one page
  EXPECT_EQ(hs[2].bytes, 4096u);
  EXPECT_EQ(describe(hs[2]), "0.0 MiB or more in 1 pipe(s)");
}

TEST(Holders, TmpfsFilesByInodeAndUnstatableOnesByName) {
  FakeProc f;
  // Two names for one inode (a hard link, or a rename seen mid-way) are one object.
  f.file(f.fd(300, 3, "/dev/shm/a"), 0x20, 7, 8u << 20);
  f.file(f.fd(301, 3, "/dev/shm/a-link"), 0x20, 7, 8u << 20);
  // A tmpfs socket holds no pages: skipped.
  f.file(f.fd(300, 4, "/run/sock"), 0x21, 9, 0, S_IFSOCK);
  // Gone between readlink and stat: known by its name only.
  f.fd(300, 5, "/run/big (deleted)");
  f.fd(301, 5, "/run/big (deleted)");
  auto held = find_held({300, 301}, f.proc(), {"/run"}, f.probes());
  ASSERT_EQ(held.size(), 2u);
  const HeldObject* a = named(held, "/dev/shm/a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->holders, (std::vector<pid_t>{300, 301}));
  EXPECT_EQ(a->bytes, std::optional<std::uint64_t>(8u << 20));
  const HeldObject* big = named(held, "/run/big (deleted)");
  ASSERT_NE(big, nullptr);
  EXPECT_FALSE(big->bytes.has_value());
  EXPECT_EQ(big->holders, (std::vector<pid_t>{300, 301}));
  auto hs = holdings_of(held);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].files, 2u);
  EXPECT_FALSE(hs[0].all_known);
  EXPECT_EQ(describe(hs[0]), "8.0 MiB or more in 2 shmem files (largest /dev/shm/a)");
}

TEST(Holders, AFileAndAPipeOfOneHolderAreNamedByTheFile) {
  FakeProc f;
  f.fd(500, 3, "pipe:[42]");
  f.pipes[{500, 3}] = 2u << 20;  // more unread bytes than the file holds
  f.file(f.fd(500, 4, "/memfd:x (deleted)"), 1, 2, 1u << 20);
  auto hs = holdings_of(find_held({500}, f.proc(), {}, f.probes()));
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(describe(hs[0]), "3.0 MiB in /memfd:x (deleted) and 1 pipe(s)");
}

TEST(Holders, AtMostMaxFdsPerProcess) {
  FakeProc f;
  for (int i = 0; i < 10; ++i) f.fd(400, 3 + i, "pipe:[" + std::to_string(900 + i) + "]");
  EXPECT_EQ(find_held({400}, f.proc(), {}, f.probes(), 4).size(), 4u);
  EXPECT_EQ(find_held({400}, f.proc(), {}, f.probes()).size(), 10u);
}

TEST(Holders, UnheldTmpfsFilesAreNamedWithTheirSize) {
  // A real directory stands in for a tmpfs mount (sizes from st_blocks).
  FakeProc f;
  fs::path mnt = f.root / "shm";
  fs::create_directories(mnt / "sub");
  auto write = [](const fs::path& p, std::size_t n) { std::ofstream(p) << std::string(n, 'x'); };
  write(mnt / "orphan", 256 * 1024);
  write(mnt / "sub" / "deep", 128 * 1024);
  write(mnt / "held", 256 * 1024);
  write(mnt / "small", 100);
  struct stat st{};
  ASSERT_EQ(::stat((mnt / "held").c_str(), &st), 0);
  HeldObject held;
  held.kind = HeldKind::Shmem;
  held.dev = st.st_dev;
  held.ino = st.st_ino;
  held.bytes = 256 * 1024;
  auto files = unheld_tmpfs_files({mnt.string()}, {held}, 64 * 1024);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, (mnt / "orphan").string());
  EXPECT_GE(files[0].bytes, 256u * 1024);
  EXPECT_EQ(files[1].path, (mnt / "sub" / "deep").string());
  EXPECT_TRUE(unheld_tmpfs_files({(f.root / "none").string()}, {}, 1).empty());
}
