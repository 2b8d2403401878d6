#!/usr/bin/env bash
# The main job: install what is missing, build, then run the default scenario
# in a fresh memory cgroup with oomlab-watchdog scoped to that group
# (oomlab-repro --watchdog starts and stops it); oomlab-repro runs the
# analyzer on the run's kernel log and puts the verdict and the watchdog's
# lines in its report. Prints where the report is. Bounded to ~50 s after
# the build.
set -euo pipefail
# Memory cgroups and /dev/kmsg need root: re-run under sudo when there is one.
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "demo: needs root (memory cgroups, /dev/kmsg); run it as root" >&2; exit 2; }
  exec sudo "$0" "$@"
fi
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
echo "== build (build/release)"
scripts/build.sh release -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF >/dev/null
bin=$PWD/build/release/bin

# The default scenario is mmap-lock-hold: an mmap lock held across slow I/O
# under memory pressure, which 6.x kernels do not resolve by themselves (no
# OOM kill; /proc/PID/cmdline readers hang) - the watchdog must. Its
# thresholds are tightened to fit a 20 s run; --kmsg-write puts its MemAlloc
# lines in the kernel log beside the kernel's own, where the analyzer reads
# them; --delayacct enable turns on per-task delay accounting for the run
# (put back at exit) so the lines say how long each task spent in reclaim.
# Without FUSE the scenario is skipped (exit 5): then run mmap-sem, the
# seed's pattern, instead.
wdargs='--warn-after 2s --kill-after 4s --period 250ms --kmsg-write --delayacct enable'
scenario=mmap-lock-hold
echo "== oomlab-repro run $scenario --limit 128M --duration 20s --watchdog"
rc=0
"$bin/oomlab-repro" run "$scenario" --limit 128M --duration 20s --watchdog-args "$wdargs" || rc=$?
if [ "$rc" = 5 ]; then
  scenario=mmap-sem
  echo "== skipped; oomlab-repro run $scenario --limit 256M --duration 20s --watchdog"
  rc=0
  "$bin/oomlab-repro" run "$scenario" --limit 256M --duration 20s --watchdog-args "$wdargs" || rc=$?
fi
# 0 oom_resolved, 1 livelock, 3 stalled_then_resolved, 4 no_oom, 7 oom_ineffective,
# 8 rescued (the watchdog ended the stall):
# all are results; anything else is a failure of the run itself.
case $rc in 0|1|3|4|7|8) ;; *) echo "demo: oomlab-repro failed (exit $rc)" >&2; exit $rc ;; esac
report=$(ls -d reports/*-$scenario 2>/dev/null | tail -1)
echo "report: $report/report.json"
echo "page:   $report/report.html"
echo "watchdog log: $report/watchdog.jsonl"
