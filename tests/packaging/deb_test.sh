#!/bin/bash
# The Debian package of a build, end to end:
#   1. `cpack -G DEB` makes oomlab_<version>-<release>_<arch>.deb with every
#      tool, the unit, the conffile, the schema, docs and man pages; the man
#      pages list every option the tools' --help lists;
#   2. lintian reports no error (and only the warnings packaging/README.md
#      explains: packaging/lintian-allowed);
#   3. in a throwaway Debian 12 root (mmdebstrap minbase + the package's
#      Depends, cached in the build directory) dpkg installs it: every binary
#      runs there (the computed Depends are enough), the unit is enabled by
#      the real deb-systemd-helper and started through deb-systemd-invoke;
#      a reinstall and a version-bumped upgrade restart it and keep a local
#      config change and an administrator's disable; remove stops and masks
#      it; purge leaves nothing behind.
# systemd is not PID 1 in the root: a logging systemctl (in /usr/local/bin,
# where deb-systemd-helper does not look, so it still makes the links
# itself) records what the scripts ask of systemd. The real start under
# systemd is tested in the Debian guest (vm/).
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR. Exit 77 = skipped, with the reason.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg --root runs the maintainer scripts in a chroot; mmdebstrap)"
for tool in cpack dpkg-deb lintian mmdebstrap; do
  command -v "$tool" >/dev/null || skip "no $tool (scripts/setup-deps.sh installs it)"
done

work=$(mktemp -d /tmp/oomlab-deb-test.XXXXXX)
root=$work/root
cleanup() {
  # Nothing mounted stays behind (mmdebstrap unmounts its own; be sure).
  for m in $(awk -v r="$root" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. build
step "cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb=$work/out/oomlab_${version}-1_${arch}.deb
[ -f "$deb" ] || { ls "$work/out"; fail "no $(basename "$deb")"; }
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
bins=(oomlab-repro oomlab-analyze oomlab-vm oomlab-watchdog)
[ -x "$build/bin/oomlab-trace" ] && bins+=(oomlab-trace)
expect_file() { grep -qx -- "$1" "$work/contents" || fail "$1 missing from the package"; }
for b in "${bins[@]}"; do expect_file "/usr/bin/$b"; done
for f in /lib/systemd/system/oomlab-watchdog.service /etc/oomlab/watchdog.json \
         /usr/share/oomlab/schema/verdict.schema.json /usr/share/oomlab/prometheus/oomlab-watchdog.rules.yml \
         /usr/share/doc/oomlab/copyright /usr/share/doc/oomlab/changelog.Debian.gz \
         /usr/share/man/man8/oomlab-watchdog.8.gz; do
  expect_file "$f"
done
for b in "${bins[@]}"; do
  [ "$b" = oomlab-watchdog ] && continue
  expect_file "/usr/share/man/man1/$b.1.gz"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | grep -qx /etc/oomlab/watchdog.json \
  || fail "/etc/oomlab/watchdog.json is not a conffile"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
case "$depends" in *libc6*) ;; *) fail "Depends not computed by dpkg-shlibdeps: '$depends'";; esac

# Man pages cannot drift from --help: every option the tool lists is in its page.
step "man pages list every --help option"
mkdir -p "$work/pkg" && dpkg-deb -x "$deb" "$work/pkg"
for b in "${bins[@]}"; do
  page=$(ls "$work/pkg/usr/share/man/"man*/"$b".[18].gz)
  "$build/bin/$b" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$work/help-opts"
  zcat "$page" | sed 's/\\-/-/g; s/\\f[BIRP]//g' | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$work/man-opts"
  missing=$(comm -23 "$work/help-opts" "$work/man-opts")
  [ -z "$missing" ] || fail "$b: options in --help but not in $(basename "$page"): $missing"
  echo "$b: $(wc -l <"$work/help-opts") options, all in $(basename "$page")"
done
grep -q '^ExecStart=/usr/bin/oomlab-watchdog --config /etc/oomlab/watchdog.json ' \
  "$work/pkg/lib/systemd/system/oomlab-watchdog.service" || fail "the unit does not start /usr/bin/oomlab-watchdog with /etc/oomlab/watchdog.json"

# ---------------------------------------------------------------- 2. lintian
step "lintian"
# --no-cfg: the machine's lintianrc must not change what passes.
lintian --no-cfg --fail-on error --display-info --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || {
  cat "$work/lintian.log"; fail "lintian reports errors"; }
cat "$work/lintian.log"
# Warnings only when packaging/README.md explains them (packaging/lintian-allowed).
unexplained=$(grep '^W: ' "$work/lintian.log" | awk '{print $3}' | sort -u | grep -vxF -f <(grep -v '^#' "$src/packaging/lintian-allowed" | grep .) || true)
[ -z "$unexplained" ] || fail "lintian warnings not explained in packaging/README.md + lintian-allowed: $unexplained"

# ---------------------------------------------------------------- 3. a root
step "throwaway Debian root"
# The package's dependencies by name (the alternatives' first choice), so
# that dpkg installs it without --force-depends and the binaries can run.
deps=$(echo "$depends" | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep . | sort -u | paste -sd, -)
includes="init-system-helpers,$deps"
cache_dir=$build/packaging/test-root-cache
mkdir -p "$cache_dir"
tarball=$cache_dir/bookworm-minbase-$(echo "$includes" | md5sum | cut -c1-12).tar
if [ ! -s "$tarball" ]; then
  rm -f "$cache_dir"/bookworm-minbase-*.tar
  # The machine's apt sources (its mirror or proxy), else Debian's.
  mirror=http://deb.debian.org/debian
  if mmdebstrap --variant=minbase --format=tar --include="$includes" bookworm "$tarball.part" "$mirror" \
       >"$work/mmdebstrap.log" 2>&1; then
    mv "$tarball.part" "$tarball"
  else
    rm -f "$tarball.part"
    tail -20 "$work/mmdebstrap.log"
    if ! grep -q 'Download\|Failed to fetch\|Could not resolve\|Temporary failure' "$work/mmdebstrap.log"; then
      fail "mmdebstrap failed"
    fi
    skip "the Debian archive is not reachable: cannot make a root to install into"
  fi
fi
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
# systemd "running" (for the maintainer scripts' test) and a systemctl that
# logs its arguments; is-enabled answers from the wants link like systemctl.
mkdir -p "$root/run/systemd/system"
cat >"$root/usr/local/bin/systemctl" <<'SH'
#!/bin/sh
echo "systemctl $*" >>/var/log/oomlab-test-systemctl.log
case "$*" in
  *is-enabled*) if [ -L /etc/systemd/system/multi-user.target.wants/oomlab-watchdog.service ]; then echo enabled; else echo disabled; fi ;;
  *is-active*) exit 3 ;;
esac
exit 0
SH
chmod 755 "$root/usr/local/bin/systemctl"
# The root's policy: services may start (a build machine's own policy-rc.d
# is outside the root and does not apply).
rm -f "$root/usr/sbin/policy-rc.d"

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
dpkg_root() { dpkg --root="$root" --force-unsafe-io "$@"; }
calls() { cat "$root/var/log/oomlab-test-systemctl.log" 2>/dev/null; }
reset_calls() { rm -f "$root/var/log/oomlab-test-systemctl.log"; }
wants=$root/etc/systemd/system/multi-user.target.wants/oomlab-watchdog.service
present() { [ -e "$root$1" ] || [ -L "$root$1" ] || fail "after $2: $1 missing"; }
absent() { [ ! -e "$root$1" ] && [ ! -L "$root$1" ] || fail "after $2: $1 still there"; }
called() { calls | grep -q -- "$1" || { calls; fail "after $2: no '$1' call to systemctl"; }; }
not_called() { ! calls | grep -q -- "$1" || { calls; fail "after $2: unexpected '$1' call to systemctl"; }; }

step "install"
dpkg_root -i "$deb"
for b in "${bins[@]}"; do
  present "/usr/bin/$b" install
  # The computed Depends are enough: each tool runs in the root.
  chroot "$root" "/usr/bin/$b" --help >/dev/null || fail "$b --help fails in the root (missing libraries?)"
done
present /etc/oomlab/watchdog.json install
present /usr/share/man/man8/oomlab-watchdog.8.gz install
chroot "$root" oomlab-watchdog --check-config --config /etc/oomlab/watchdog.json | grep -q '^config OK' \
  || fail "the shipped config does not pass --check-config"
[ "$(readlink "$wants")" = /lib/systemd/system/oomlab-watchdog.service ] || fail "the unit is not enabled (no wants link)"
# systemd's own check of the installed unit (directives, executables in the
# root); the machine's systemd-analyze, when it has one.
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --man=no --root="$root" oomlab-watchdog.service || fail "systemd-analyze verify rejects the unit"
  echo "systemd-analyze verify: unit OK"
else
  echo "note: no systemd-analyze on this machine: unit not verified"
fi
present /var/lib/systemd/deb-systemd-helper-enabled/oomlab-watchdog.service.dsh-also install
called "daemon-reload" install
called "start oomlab-watchdog.service" install
echo "enabled and started: $(calls | tr '\n' ';')"

step "reinstall (same version) keeps a local config change"
sed -i 's/"warn-after": "10s"/"warn-after": "12s"/' "$root/etc/oomlab/watchdog.json"
grep -q '"warn-after": "12s"' "$root/etc/oomlab/watchdog.json" || fail "test setup: config edit did not apply"
reset_calls
dpkg_root -i "$deb"
called "restart oomlab-watchdog.service" reinstall
not_called "stop" reinstall
grep -q '"warn-after": "12s"' "$root/etc/oomlab/watchdog.json" || fail "reinstall overwrote the local config"

step "upgrade to a bumped version; a disabled unit stays disabled"
mkdir -p "$work/bump"
dpkg-deb -R "$deb" "$work/bump/tree"
sed -i "s/^Version: .*/Version: ${version}-2/" "$work/bump/tree/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/bump/tree" "$work/bump/oomlab_${version}-2_${arch}.deb" >/dev/null
# What `systemctl disable` does (no systemd in the root): remove the link.
rm "$wants"
reset_calls
dpkg_root -i "$work/bump/oomlab_${version}-2_${arch}.deb"
[ "$(dpkg --root="$root" -s oomlab | sed -n 's/^Version: //p')" = "${version}-2" ] || fail "upgrade did not install ${version}-2"
absent "/etc/systemd/system/multi-user.target.wants/oomlab-watchdog.service" "upgrade of a disabled unit"
# deb-systemd-invoke restarts a disabled unit only when it is running.
not_called "restart" "upgrade of a disabled, stopped unit"
grep -q '"warn-after": "12s"' "$root/etc/oomlab/watchdog.json" || fail "upgrade overwrote the local config"
ln -s /lib/systemd/system/oomlab-watchdog.service "$wants"  # `systemctl enable`

step "remove"
mkdir -p "$root/var/log/oomlab-watchdog" && echo '{}' >"$root/var/log/oomlab-watchdog/events.jsonl"
reset_calls
dpkg_root -r oomlab
called "stop oomlab-watchdog.service" remove
for b in "${bins[@]}"; do absent "/usr/bin/$b" remove; done
absent /lib/systemd/system/oomlab-watchdog.service remove
present /etc/oomlab/watchdog.json "remove (a conffile stays until purge)"
[ "$(readlink "$root/etc/systemd/system/oomlab-watchdog.service")" = /dev/null ] || fail "remove did not mask the unit"

step "purge"
dpkg_root -P oomlab
for p in /etc/oomlab /var/log/oomlab-watchdog /etc/systemd/system/oomlab-watchdog.service \
         /etc/systemd/system/multi-user.target.wants/oomlab-watchdog.service \
         /var/lib/systemd/deb-systemd-helper-enabled/oomlab-watchdog.service.dsh-also \
         /var/lib/systemd/deb-systemd-helper-masked/oomlab-watchdog.service /usr/share/doc/oomlab; do
  absent "$p" purge
done
if dpkg --root="$root" -s oomlab >/dev/null 2>&1; then fail "dpkg still knows oomlab after purge"; fi
left=$(find "$root" -path "$root/proc" -prune -o -name '*oomlab*' -print | grep -v oomlab-test-systemctl || true)
[ -z "$left" ] || fail "purge left: $left"
echo "PASS: built, lintian-clean, installed, upgraded twice, removed and purged"
