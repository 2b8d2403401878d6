#!/usr/bin/env bash
# Runs CI's job on a fresh clone before you push: the committed HEAD of this
# checkout is cloned into a new private directory (mktemp -d: mode 0700, as a
# checkout under /root is), with ../shared beside it as in CI, and `.ci/run`
# runs there exactly as CI runs it. Prints the elapsed time and the result,
# and removes the directory afterwards (also on Ctrl-C).
#
#   scripts/fresh-check.sh [--load] [--keep]
#     --load   run `stress-ng --cpu 2` beside it for the whole run (a loaded
#              machine; two shell busy loops when stress-ng is missing)
#     --keep   keep the directory (its path is printed)
#
# Uncommitted changes are not part of the check (it says so). Run as root,
# like CI: the privileged tests skip themselves otherwise.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
load=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --load) load=1 ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fresh-check: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
shared=$(cd "$top/.." && pwd)/shared
if [ ! -d "$shared" ]; then
  echo "fresh-check: $shared is missing: CI has the shared directory beside the checkout" >&2
  exit 2
fi
head=$(git -C "$top" rev-parse HEAD)
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-check: uncommitted changes in $top are not part of this check (HEAD ${head:0:12} is)" >&2
fi

tmp=$(mktemp -d /tmp/oomlab-fresh-check.XXXXXX)  # 0700
name=$(basename "$top")
job=0 loaders=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$job" -gt 0 ] && kill -0 "$job" 2>/dev/null; then
    echo "fresh-check: interrupted: stopping the run" >&2
    # The CI job runs in its own session: stop all of it, then wait for it
    # (its tests remove their groups and mounts on SIGTERM).
    kill -TERM -- "-$job" 2>/dev/null || true
    wait "$job" 2>/dev/null || true
  fi
  for p in "${loaders[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${loaders[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then
    echo "fresh-check: kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The committed HEAD (also when it is on no branch, or in a git worktree).
git init -q "$tmp/$name"
git -C "$tmp/$name" fetch -q --no-tags "$top" "$head"
git -C "$tmp/$name" checkout -q --detach "$head"
ln -s "$shared" "$tmp/shared"
echo "fresh-check: ${head:0:12} in $tmp/$name (mode $(stat -c %a "$tmp")), ../shared -> $shared"

if [ "$load" = 1 ]; then
  if command -v stress-ng >/dev/null; then
    stress-ng --cpu 2 --quiet &
    loaders+=($!)
    what="stress-ng --cpu 2"
  else
    for _ in 1 2; do
      bash -c 'while :; do :; done' &
      loaders+=($!)
    done
    what="2 shell busy loops (no stress-ng)"
  fi
  echo "fresh-check: load beside the run: $what"
fi

start=$(date +%s)
# As CI runs it: a fresh environment variable CI=true, from the clone's root.
(cd "$tmp/$name" && CI=true exec setsid bash .ci/run) &
job=$!
rc=0
wait "$job" || rc=$?
job=0
elapsed=$(( $(date +%s) - start ))
printf 'fresh-check: %s in %dm%02ds%s (HEAD %s)\n' "$([ $rc = 0 ] && echo PASSED || echo "FAILED (exit $rc)")" \
  $((elapsed / 60)) $((elapsed % 60)) "$([ "$load" = 1 ] && echo ", under load" || true)" "${head:0:12}"
exit "$rc"
