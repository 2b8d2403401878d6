#!/usr/bin/env bash
# Install every Debian 12 package oomlab needs to build, test and run its
# scenarios, test VM and peer benchmarks. Idempotent: does nothing when all
# packages are present. Needs root (or sudo) only when something is missing.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake pkg-config ccache git
  # the four card libraries
  libcgroup-dev libproc2-dev nlohmann-json3-dev libboost-dev
  # the watchdog's taskstats (delay accounting) queries
  libnl-genl-3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-jsonschema procps psmisc time strace util-linux binutils libc-bin
  # BPF stall tracer
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
  # fuzz targets (fuzz/): clang's libFuzzer and sanitizer runtimes
  libclang-rt-14-dev
  # test VM
  qemu-system-x86 busybox-static cpio kmod e2fsprogs xz-utils gzip
  # the Debian guest with systemd (oomlab-vm run --rootfs debian)
  mmdebstrap
  # report rendering test
  chromium
  # peers for the side-by-side benchmarks
  earlyoom nohang stress-ng
  # Debian package (cpack -G DEB): man pages from --help, lintian, a
  # throwaway root for the install/upgrade/purge test
  help2man lintian mmdebstrap dpkg-dev
  # promtool (check metrics, test rules); the server it ships is not started
  # (policy-rc.d below, and no systemd on a build machine)
  prometheus
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  # The VM tests fetch a kernel with apt-get download: they need apt's lists.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
  fi
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Peer daemons (earlyoom, nohang) must not be started by their postinst on a
# build machine: they would kill our workloads. policy-rc.d forbids that.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
