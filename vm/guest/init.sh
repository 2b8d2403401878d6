#!/bin/busybox sh
# PID 1 of the oomlab test VM (packed as /init by oomlab-vm; compiled into
# the harness, see vm/CMakeLists.txt). It mounts the kernel file systems,
# runs the job the host put in /etc/oomlab/job.sh, prints the job's report
# between marker lines on the serial console and powers off.
# The marker lines are a contract with vm/src/serial_log.hpp.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/oomlab/bin:/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TERM=dumb
say() { echo "oomlab-guest: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || {
  mount -t tmpfs -o mode=0755 tmpfs /dev
  mknod -m 600 /dev/console c 5 1; mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
  mknod -m 444 /dev/urandom c 1 9; mknod -m 644 /dev/kmsg c 1 11; mknod -m 660 /dev/vda b 254 0
}
mkdir -p /dev/pts /dev/shm /root
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup || say "no cgroup2 in this kernel"
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 > /proc/sys/kernel/sysrq
# The dynamic loader finds the packed libraries at their host paths; this
# covers loaders built without the multiarch directories.
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64
ifconfig lo 127.0.0.1 up 2>/dev/null

. /etc/oomlab/job.sh
read -r uptime _ < /proc/uptime
echo "OOMLAB-VM: booted kernel=$(uname -r) uptime=$uptime"

finish() {
  echo "OOMLAB-VM: exit code=$1"
  sync
  poweroff -f
  sleep 5
  echo o > /proc/sysrq-trigger
}

# The modules of the Debian kernel (virtio disk, ext4, fuse), dependencies first.
while read -r mod; do
  [ -n "$mod" ] && { insmod "/lib/modules/oomlab/$mod" || say "insmod $mod failed"; }
done < /lib/modules/oomlab/load.order
[ -e /dev/fuse ] || { [ -e /sys/class/misc/fuse ] && mknod -m 666 /dev/fuse c 10 229; }

workdir=/tmp/work
if [ "$OOMLAB_DISK" = 1 ]; then
  for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
  if mount -t ext4 /dev/vda /mnt/disk; then workdir=/mnt/disk/work; else say "cannot mount the disk /dev/vda"; finish 3; fi
fi
mkdir -p "$workdir" && cd "$workdir"
export TMPDIR="$workdir"

# Memory accounting for every group below the root.
echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null

# A heartbeat from outside any limited group: the host sees console output
# while the guest makes progress, and silence when the whole guest stalls.
( while sleep "${OOMLAB_HEARTBEAT:-10}"; do read -r up _ < /proc/uptime; say "alive uptime=$up"; done ) &
heartbeat=$!

watchdog=
if [ "$OOMLAB_WATCHDOG" = 1 ]; then
  if command -v oomlab-watchdog >/dev/null; then
    eval "set -- $OOMLAB_WATCHDOG_ARGS"
    # Its reports go to the kernel log (--kmsg-write), so they reach the
    # console between the kernel's own lines, where the analyzer reads them.
    oomlab-watchdog --kmsg-write "$@" > /tmp/watchdog.log 2>&1 &
    watchdog=$!
    say "oomlab-watchdog started, pid $watchdog"
    sleep 1
  else
    say "oomlab-watchdog is not in this initramfs"
  fi
fi

rc=0
case "$OOMLAB_MODE" in
  scenario)
    eval "set -- $OOMLAB_SCENARIO_ARGS"
    say "running oomlab-repro run $OOMLAB_SCENARIO $* --json"
    # --report-dir: the runner's full report is $workdir/run/report.json,
    # named here rather than read out of its summary.
    oomlab-repro run "$OOMLAB_SCENARIO" "$@" --json --report-dir "$workdir/run" > /tmp/report.json
    rc=$?
    ;;
  cmd)
    # The command runs in its own v2 memory group, $OOMLAB_CGROUP.
    export OOMLAB_CGROUP=/sys/fs/cgroup/oomlab-cmd
    mkdir -p "$OOMLAB_CGROUP"
    [ -n "$OOMLAB_CMD_LIMIT" ] && echo "$OOMLAB_CMD_LIMIT" > "$OOMLAB_CGROUP/memory.max"
    echo 0 > "$OOMLAB_CGROUP/memory.swap.max" 2>/dev/null
    say "running guest command"
    sh -c 'echo $$ > "$OOMLAB_CGROUP/cgroup.procs" && exec sh -c "$OOMLAB_CMD"'
    rc=$?
    {
      printf '{"guest_cmd_exit_code": %d, "memory_events": {' "$rc"
      sep=
      while read -r k v; do printf '%s"%s": %s' "$sep" "$k" "$v"; sep=', '; done < "$OOMLAB_CGROUP/memory.events"
      printf '}, "memory_peak_bytes": %s}\n' "$(cat "$OOMLAB_CGROUP/memory.peak" 2>/dev/null || echo null)"
    } > /tmp/report.json
    ;;
  *) say "unknown job mode '$OOMLAB_MODE'"; rc=2 ;;
esac

if [ -n "$watchdog" ]; then
  if kill -0 "$watchdog" 2>/dev/null; then
    kill "$watchdog"; wait "$watchdog"
  else
    wait "$watchdog"; say "oomlab-watchdog exited early (status $?):"; tail -n 20 /tmp/watchdog.log
  fi
fi
kill "$heartbeat" 2>/dev/null
# Keep kernel messages off the console while the report is printed, so they
# cannot split a line of it.
dmesg -n 1
echo "OOMLAB-VM: report begin"
cat /tmp/report.json
echo "OOMLAB-VM: report end"
# The runner's full report and its page (timeline chart) come back as files.
if [ "$OOMLAB_MODE" = scenario ]; then
  for f in "$workdir/run/report.json" "$workdir/run/report.html"; do
    [ -f "$f" ] || continue
    echo "OOMLAB-VM: file begin guest-${f##*/}"
    cat "$f"
    echo
    echo "OOMLAB-VM: file end"
  done
fi
dmesg -n 7
[ "$OOMLAB_DISK" = 1 ] && { cd /; umount /mnt/disk; }
finish "$rc"
