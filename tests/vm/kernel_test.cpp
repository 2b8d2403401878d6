#include "kernel.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "fs_util.hpp"
#include "qemu.hpp"

using namespace oomlab::vm;

namespace {

// modules.dep of linux-image-6.1.0-56-amd64 for the disk modules (depmod -b).
constexpr const char* kModulesDep =
    "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
    "kernel/fs/jbd2/jbd2.ko:\n"
    "kernel/fs/mbcache.ko:\n"
    "kernel/lib/crc16.ko:\n"
    "kernel/crypto/crc32c_generic.ko:\n"
    "kernel/drivers/virtio/virtio.ko:\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko "
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/dummy.ko.xz:\n"
    "kernel/fs/fuse/fuse.ko:\n";

std::size_t pos(const std::vector<std::string>& v, const std::string& s) {
  return static_cast<std::size_t>(std::find(v.begin(), v.end(), s) - v.begin());
}

TEST(Modules, LoadOrderPutsDependenciesFirstAndEachOnce) {
  std::vector<std::string> missing;
  auto order = module_load_order(kModulesDep, disk_modules(), missing);
  EXPECT_TRUE(missing.empty());
  ASSERT_EQ(order.size(), 12u);
  EXPECT_LT(pos(order, "kernel/drivers/virtio/virtio_ring.ko"), pos(order, "kernel/drivers/virtio/virtio_pci.ko"));
  EXPECT_LT(pos(order, "kernel/drivers/virtio/virtio.ko"), pos(order, "kernel/drivers/block/virtio_blk.ko"));
  EXPECT_LT(pos(order, "kernel/fs/jbd2/jbd2.ko"), pos(order, "kernel/fs/ext4/ext4.ko"));
  EXPECT_LT(pos(order, "kernel/crypto/crc32c_generic.ko"), pos(order, "kernel/fs/ext4/ext4.ko"));
  EXPECT_EQ(order[order.size() - 2], "kernel/fs/ext4/ext4.ko");
  EXPECT_EQ(order.back(), "kernel/fs/fuse/fuse.ko");
}

TEST(Modules, BuiltInOrAbsentModulesAreReported) {
  std::vector<std::string> missing;
  auto order = module_load_order("kernel/net/dummy-mod.ko.xz:\n", {"dummy_mod", "ext4"}, missing);
  EXPECT_EQ(order, (std::vector<std::string>{"kernel/net/dummy-mod.ko.xz"}));
  EXPECT_EQ(missing, (std::vector<std::string>{"ext4"}));
}

TEST(BzImage, ReleaseFromTheSetupHeader) {
  std::string image(0x400, '\0');
  image.replace(0x202, 4, "HdrS");
  image[0x20E] = 0x00;  // kernel_version = 0x100 (+0x200 = 0x300)
  image[0x20F] = 0x01;
  image.replace(0x300, 40, std::string("6.1.0-56-amd64 (debian-kernel@lists) #1\0", 40));
  EXPECT_EQ(bzimage_release(image), "6.1.0-56-amd64");
  EXPECT_EQ(bzimage_release(std::string(0x400, 'x')), "");
  EXPECT_EQ(bzimage_release("short"), "");
  image.replace(0x300, 4, "\xcc\xcc\xcc\xcc");  // a header pointing at garbage
  EXPECT_EQ(bzimage_release(image), "");
}

TEST(BzImage, MissingOrForeignKernelFileIsAClearError) {
  try {
    kernel_from_file("/nonexistent/bzImage");
    FAIL();
  } catch (const KernelError& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
  std::string path = testing::TempDir() + "/not-a-kernel";
  write_file_atomic(path, std::string(4096, 'x'));
  try {
    kernel_from_file(path);
    FAIL();
  } catch (const KernelError& e) {
    EXPECT_NE(std::string(e.what()).find("bzImage"), std::string::npos);
  }
  std::remove(path.c_str());
}

TEST(Package, NamesThatAreNotKernelImagesAreRefusedBeforeApt) {
  EXPECT_THROW(kernel_from_package("bash", testing::TempDir(), [](const std::string&) {}), KernelError);
  EXPECT_THROW(kernel_from_package("linux-image-../../x", testing::TempDir(), [](const std::string&) {}), KernelError);
}

TEST(Qemu, CommandLineCarriesTheMachineAndTheMuxedConsole) {
  QemuConfig c;
  c.mem_bytes = 768ull << 20;
  c.cpus = 3;
  c.kernel = "/k";
  c.initrd = "/i";
  c.append = "console=ttyS0";
  c.disk = "/d.img";
  auto a = qemu_argv(c);
  auto after = [&](const std::string& flag) {
    auto it = std::find(a.begin(), a.end(), flag);
    return it == a.end() || it + 1 == a.end() ? std::string() : *(it + 1);
  };
  EXPECT_EQ(after("-accel"), "tcg");
  EXPECT_EQ(after("-m"), "768M");
  EXPECT_EQ(after("-smp"), "3");
  EXPECT_EQ(after("-kernel"), "/k");
  EXPECT_EQ(after("-initrd"), "/i");
  EXPECT_EQ(after("-serial"), "chardev:con");
  EXPECT_NE(after("-chardev").find("mux=on"), std::string::npos);
  EXPECT_NE(after("-drive").find("file=/d.img"), std::string::npos);
  EXPECT_NE(std::find(a.begin(), a.end(), "-no-reboot"), a.end());
  EXPECT_EQ(after("-drive").find("throttling"), std::string::npos);
  c.disk_iops = 200;
  c.disk_bps = 8ull << 20;
  a = qemu_argv(c);
  EXPECT_NE(after("-drive").find(",throttling.iops-total=200"), std::string::npos) << after("-drive");
  EXPECT_NE(after("-drive").find(",throttling.bps-total=8388608"), std::string::npos) << after("-drive");
  c.kvm = true;
  a = qemu_argv(c);
  EXPECT_EQ(after("-accel"), "kvm");
  EXPECT_EQ(after("-cpu"), "host");
}

TEST(Qemu, TcgWhenAskedWithoutProbing) {
  auto choice = choose_accel("/nonexistent/qemu", false, true);
  EXPECT_FALSE(choice.kvm);
  EXPECT_NE(choice.reason.find("tcg"), std::string::npos);
}

}  // namespace
