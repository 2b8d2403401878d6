// oomlab-test-hog: holds a known amount of memory under a known comm until
// killed, so victim-choice tests can tell who was picked and why.
//   --name COMM      prctl(PR_SET_NAME): what --protect/--prefer match
//   --anon MiB       private anonymous memory (freed when the process dies)
//   --shm PATH:MiB   a file on tmpfs mapped shared; the file stays after the
//                    process dies, so killing it frees nothing
// Prints "ready PID" once everything is touched, then sleeps.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fail(const std::string& msg) {
  std::fprintf(stderr, "oomlab-test-hog: %s\n", msg.c_str());
  return 2;
}

static void touch(char* p, std::size_t len) {
  for (std::size_t off = 0; off < len; off += 4096) p[off] = 1;
}

int main(int argc, char** argv) {
  std::size_t anon = 0, shm = 0;
  std::string shm_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::puts("usage: oomlab-test-hog [--name COMM] [--anon MiB] [--shm PATH:MiB]");
      return 0;
    }
    if (i + 1 >= argc) return fail("missing value for " + a);
    std::string v = argv[++i];
    if (a == "--name") {
      prctl(PR_SET_NAME, v.c_str());
    } else if (a == "--anon") {
      anon = std::strtoull(v.c_str(), nullptr, 10) << 20;
    } else if (a == "--shm") {
      auto colon = v.rfind(':');
      if (colon == std::string::npos) return fail("--shm wants PATH:MiB");
      shm_path = v.substr(0, colon);
      shm = std::strtoull(v.c_str() + colon + 1, nullptr, 10) << 20;
    } else {
      return fail("unknown argument " + a);
    }
  }
  if (anon) {
    void* p = mmap(nullptr, anon, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return fail("cannot map anonymous memory");
    touch(static_cast<char*>(p), anon);
  }
  if (shm) {
    int fd = ::open(shm_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(shm)) != 0) return fail("cannot create " + shm_path);
    void* p = mmap(nullptr, shm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail("cannot map " + shm_path);
    touch(static_cast<char*>(p), shm);
  }
  std::printf("ready %d\n", getpid());
  std::fflush(stdout);
  for (;;) pause();
}
