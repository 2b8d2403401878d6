#!/usr/bin/env bash
# Long local fuzzing, one target at a time (the machine is shared):
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 300 s each, every target
# Needs the fuzz build (scripts/test.sh makes it; or
#   CC=clang CXX=clang++ OOMLAB_BUILD_TARGET=fuzz_all scripts/build.sh fuzz -DOOMLAB_FUZZ=ON \
#     -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF -DOOMLAB_BPF=OFF).
# New inputs go to build/fuzz/fuzz/work/<name>/corpus, crashes to .../artifacts/;
# one line per target with executions, exec/s, coverage and crashes found,
# logs in build/fuzz/fuzz/work/<name>/run.log. A crash is fixed, and its input
# becomes a regression case in tests/<component>/ (see docs/RELIABILITY.md).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
bin=build/fuzz/bin
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bin"/fuzz_*; do targets+=("$(basename "$f" | sed 's/^fuzz_//')"); done
fi
for t in "${targets[@]}"; do
  work=build/fuzz/fuzz/work/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "fuzz/corpus/$t" >"$work/run.log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/run.log" | tail -1 | awk '{print $2}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/run.log" | tail -1 | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$work/run.log" | tail -1 | awk '{print $2}')
  crashes=$(find "$work/artifacts" -type f | wc -l)
  echo "fuzz_$t: ${seconds}s exit=$rc executions=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} crashes=$crashes"
done
