#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with
# -Werror, runs every test (root/cgroup/VM tests included; each skips with a
# printed reason only when this machine cannot run it), then rebuilds with
# ASan+UBSan and runs the unit tests (parsers, fuzzers) under the sanitizers.
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
echo "== all tests passed"
