#!/usr/bin/env bash
# The main job: install what is missing, build, then run the default scenario
# (mmap-sem, the seed's pattern) in a fresh 256 MiB memory cgroup with
# oomlab-watchdog scoped to that group (oomlab-repro --watchdog starts and
# stops it); oomlab-repro runs the analyzer on the run's kernel log and puts
# the verdict and the watchdog's lines in its report. Prints where the report
# is. Bounded to ~40 s after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
echo "== build (build/release)"
scripts/build.sh release -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF >/dev/null
bin=$PWD/build/release/bin

# Desktop thresholds (warn 5 s, kill 10 s); --kmsg-write puts the watchdog's
# MemAlloc lines in the kernel log beside the kernel's own, where the analyzer
# reads them.
echo "== oomlab-repro run mmap-sem --limit 256M --duration 20s --watchdog"
rc=0
"$bin/oomlab-repro" run mmap-sem --limit 256M --duration 20s --stall-threshold 8s \
  --watchdog --watchdog-args '--kmsg-write' || rc=$?
# 0 oom_resolved, 1 livelock, 3 stalled_then_resolved, 4 no_oom, 7 oom_ineffective:
# all are results; anything else is a failure of the run itself.
case $rc in 0|1|3|4|7) ;; *) echo "demo: oomlab-repro failed (exit $rc)" >&2; exit $rc ;; esac
report=$(ls -d reports/*-mmap-sem 2>/dev/null | tail -1)
echo "report: $report/report.json"
echo "page:   $report/report.html"
echo "watchdog log: $report/watchdog.jsonl"
