#!/usr/bin/env bash
# The main job: install what is missing, build, then run the default scenario
# (mmap-sem, the seed's pattern) in a fresh 256 MiB memory cgroup while
# oomlab-watchdog watches the oomlab/ cgroup subtree; oomlab-repro runs the
# analyzer on the run's kernel log and embeds the verdict in its report.
# Prints where the report is. Bounded to ~40 s after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
scripts/build.sh release -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF >/dev/null
bin=$PWD/build/release/bin
mkdir -p reports
stamp=$(date -u +%Y%m%dT%H%M%SZ)
wdlog=reports/$stamp-watchdog.jsonl

# The watchdog acts only inside oomlab's own groups (--scope), desktop
# thresholds (warn 5 s, kill 10 s); its lines also go to the kernel log so the
# analyzer sees them next to the kernel's own.
"$bin/oomlab-watchdog" --profile desktop --scope /oomlab --json-log "$wdlog" \
  --kmsg-write --socket '' 2>"reports/$stamp-watchdog.log" &
wd=$!
trap 'kill $wd 2>/dev/null; wait $wd 2>/dev/null || true' EXIT INT TERM

rc=0
"$bin/oomlab-repro" run mmap-sem --limit 256M --duration 20s --stall-threshold 8s || rc=$?
kill $wd 2>/dev/null; wait $wd 2>/dev/null || true
trap - EXIT INT TERM
case $rc in 0|1|3|4) ;; *) echo "demo: oomlab-repro failed (exit $rc)" >&2; exit $rc ;; esac
report=$(ls -d reports/*-mmap-sem 2>/dev/null | tail -1)
echo "watchdog: $wdlog ($(grep -c . "$wdlog" 2>/dev/null || echo 0) lines), reports/$stamp-watchdog.log"
echo "report: $report/report.json"
echo "page:   $report/report.html"
