#!/usr/bin/env bash
# Configure and build oomlab into build/<name> (default: build/release).
# Usage: scripts/build.sh [name] [extra cmake args...]
# OOMLAB_BUILD_TARGET=T builds only target T (the fuzz build: fuzz_all).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-release}; shift || true
cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"build-$name.cmake.log" 2>&1 \
  || { cat "build-$name.cmake.log" >&2; exit 1; }
rm -f "build-$name.cmake.log"
cmake --build "build/$name" -j"$(nproc)" ${OOMLAB_BUILD_TARGET:+--target "$OOMLAB_BUILD_TARGET"}
