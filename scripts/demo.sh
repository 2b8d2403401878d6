#!/usr/bin/env bash
# The main job: install what is missing, build, then analyze the seed log and
# print the verdict. (Becomes: run the default scenario in a memory cgroup
# with the watchdog, then the analyzer, once the reproducers land.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
scripts/build.sh release -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF >/dev/null
bin=build/release/bin
out=reports/$(date -u +%Y%m%dT%H%M%SZ)-seed
mkdir -p "$out"
seed=$(ls ../shared/seeds/003_*.txt 2>/dev/null | head -1 || true)
[ -n "$seed" ] || { echo "demo: ../shared/seeds/003_*.txt not found" >&2; exit 2; }
rc=0; "$bin/oomlab-analyze" "$seed" >"$out/verdict.json" || rc=$?
[ $rc -le 1 ] || { echo "demo: oomlab-analyze failed ($rc)" >&2; exit $rc; }
"$bin/oomlab-analyze" --text "$seed" || true
echo "report: $out/verdict.json"
