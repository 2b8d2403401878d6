#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with
# -Werror, runs every test (root/cgroup/VM tests included; each skips with a
# printed reason only when this machine cannot run it), then rebuilds with
# ASan+UBSan and runs the unit tests (parsers, fuzzers) under the sanitizers,
# then builds the libFuzzer targets with clang and runs each for a short
# fixed time from its committed corpus (fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1

echo "== build (warnings are errors)"
scripts/build.sh ci -DOOMLAB_WERROR=ON
echo "== tests"
# Unit tests in parallel; the rest one at a time: they load memory cgroups,
# time things and boot VMs, and must not disturb each other.
ctest --test-dir build/ci -L unit -j"$(nproc)" --output-on-failure
ctest --test-dir build/ci -LE unit --output-on-failure

echo "== sanitizer build (ASan+UBSan), unit tests"
scripts/build.sh asan -DOOMLAB_WERROR=ON -DOOMLAB_SANITIZE=ON -DOOMLAB_BENCH=OFF -DOOMLAB_BPF=OFF \
  -DOOMLAB_UNIT_TESTS_ONLY=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan -L unit -j"$(nproc)" --output-on-failure
echo "== fuzz build (clang: libFuzzer+ASan+UBSan), each target ${OOMLAB_FUZZ_SECONDS:-10} s"
# A probe first: without clang's libFuzzer runtime the step is skipped, and says why.
fuzz_probe() {
  command -v clang++ >/dev/null || { echo "no clang++"; return 1; }
  local d err
  d=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$d/p.cpp"
  if ! err=$(clang++ -fsanitize=fuzzer,address,undefined "$d/p.cpp" -o "$d/p" 2>&1); then
    echo "clang++ cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing?): ${err%%$'\n'*}"
    rm -rf "$d"
    return 1
  fi
  rm -rf "$d"
}
if reason=$(fuzz_probe); then
  CC=clang CXX=clang++ OOMLAB_BUILD_TARGET=fuzz_all scripts/build.sh fuzz -DOOMLAB_WERROR=ON -DOOMLAB_FUZZ=ON \
    -DOOMLAB_TESTS=OFF -DOOMLAB_BENCH=OFF -DOOMLAB_BPF=OFF -DOOMLAB_FUZZ_SECONDS="${OOMLAB_FUZZ_SECONDS:-10}"
  ctest --test-dir build/fuzz -L fuzz -j"$(nproc)" --output-on-failure
else
  echo "fuzz: skipped: $reason"
fi
echo "== all tests passed"
