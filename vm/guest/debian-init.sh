#!/bin/busybox sh
# /init of the small initramfs that boots a Debian guest (oomlab-vm run
# --rootfs debian; compiled into the harness, see vm/CMakeLists.txt). The
# Debian kernel builds virtio and ext4 as modules: load them, mount the root
# disk /dev/vda (a copy-on-write snapshot of the cached image: whatever the
# guest writes is dropped when qemu ends), copy this run's files into it
# (/oomlab-debian/root, from the per-run archive: the job, its unit, the
# scenario slice, guard configs), and hand over to systemd.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
say() { echo "oomlab-guest: $*"; }
fail() {
  say "$*"
  echo "OOMLAB-VM: exit code=3"
  poweroff -f
  sleep 5
  echo o > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r mod; do
  [ -n "$mod" ] && { insmod "/lib/modules/oomlab/$mod" || say "insmod $mod failed"; }
done < /lib/modules/oomlab/load.order
for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.2; done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || fail "cannot mount the root disk /dev/vda"
[ -x /newroot/sbin/init ] || [ -L /newroot/sbin/init ] || fail "no /sbin/init on /dev/vda: not a Debian root"
cp -a /oomlab-debian/root/. /newroot/ || fail "cannot copy the job into the root"
mkdir -p /newroot/etc/systemd/system/multi-user.target.wants
ln -sf /etc/systemd/system/oomlab-vm-job.service /newroot/etc/systemd/system/multi-user.target.wants/oomlab-vm-job.service
say "starting systemd from /dev/vda"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
