#!/bin/bash
# The job of an oomlab-vm run in a Debian guest (oomlab-vm run --rootfs
# debian; compiled into the harness and copied into the guest at boot).
# systemd runs it as oomlab-vm-job.service once multi-user.target is reached,
# with its output on the console. It enables the chosen guard as its packaged
# service, runs the scenario with oomlab-repro in a scope of oomlab.slice
# (the slice systemd-oomd watches: ManagedOOMMemoryPressure=kill), collects
# the guard's state, journal and status, prints them between the marker lines
# of vm/src/serial_log.hpp, and powers off.
. /etc/oomlab/job.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= TERM=dumb
say() { echo "oomlab-guest: $*"; }
out=/run/oomlab-vm
mkdir -p "$out"

read -r up _ < /proc/uptime
echo "OOMLAB-VM: booted kernel=$(uname -r) uptime=$up"
( while sleep "${OOMLAB_HEARTBEAT:-10}"; do read -r u _ < /proc/uptime; say "alive uptime=$u"; done ) &
heartbeat=$!

# Boot is over once every start job finished (this unit is Type=simple, so
# it does not hold boot up).
state=$(timeout 300 systemctl is-system-running --wait 2>/dev/null)
target=$(systemctl is-active multi-user.target)
say "system $state, multi-user.target $target"

props=Id,Type,NotifyAccess,ActiveState,SubState,Result,MainPID,NRestarts,ExecMainStatus,WatchdogUSec,WatchdogTimestampMonotonic,ActiveEnterTimestampMonotonic,StatusText,UnitFileState,FragmentPath,CPUUsageNSec,MemoryCurrent
unit=$OOMLAB_GUARD_UNIT
enable_rc=0
if [ -n "$unit" ]; then
  # The way an administrator turns it on. For Type=notify the start job ends
  # only when the daemon sent READY=1: a zero exit here means READY was seen.
  start_ms=$(date +%s%3N)
  timeout 120 systemctl enable --now "$unit" > "$out/guard-enable.txt" 2>&1
  enable_rc=$?
  ready_ms=$(( $(date +%s%3N) - start_ms ))
  say "systemctl enable --now $unit: exit $enable_rc after ${ready_ms} ms ($(systemctl is-active "$unit"))"
  systemctl show "$unit" -p "$props" > "$out/guard-before.txt"
fi

work=/var/tmp/oomlab-work
mkdir -p "$work" && cd "$work"
export TMPDIR="$work"
rc=0
case "$OOMLAB_MODE" in
  scenario)
    eval "set -- $OOMLAB_SCENARIO_ARGS"
    say "running oomlab-repro run $OOMLAB_SCENARIO $* --json, its group in $OOMLAB_SLICE"
    # The runner in a scope of its own slice, its memory group in the watched
    # one (oomlab.slice/repro-*): the slice holds the workload only, so a
    # guard that acts on the whole slice (systemd-oomd, the watchdog's
    # watch-cgroup escalation, nohang's PSI) cannot take the runner with it.
    # The workload must not inherit this job's OOMScoreAdjust=-1000: every
    # guard (and the kernel) treats -1000 as "never kill". 0, as a service has.
    echo 0 > /proc/self/oom_score_adj
    systemd-run --quiet --scope --slice=oomlab-runner.slice --unit="oomlab-runner-$$" -- \
      oomlab-repro run "$OOMLAB_SCENARIO" "$@" --cgroup-parent "$OOMLAB_SLICE" --json --report-dir "$work/run" \
      > "$out/report.json" 2> "$out/repro.err"
    rc=$?
    echo -1000 > /proc/self/oom_score_adj
    [ -s "$out/report.json" ] || { say "oomlab-repro printed no report (exit $rc):"; tail -n 20 "$out/repro.err"; }
    ;;
  cmd)
    say "running guest command in a scope of $OOMLAB_SLICE"
    limit=()
    [ -n "$OOMLAB_CMD_LIMIT" ] && limit=(-p "MemoryMax=$OOMLAB_CMD_LIMIT" -p MemorySwapMax=0)
    # The command may leave files for the host in $OOMLAB_OUT: cmd-* are sent
    # back beside report.json, cmd-result.json (a JSON value) goes into it.
    OOMLAB_OUT="$out" systemd-run --quiet --scope --slice="$OOMLAB_SLICE" --unit="oomlab-cmd-$$" "${limit[@]}" -- \
      /bin/sh -c "$OOMLAB_CMD"
    rc=$?
    if [ -s "$out/cmd-result.json" ]; then
      printf '{"guest_cmd_exit_code": %d, "result": %s}\n' "$rc" "$(cat "$out/cmd-result.json")" > "$out/report.json"
    else
      printf '{"guest_cmd_exit_code": %d}\n' "$rc" > "$out/report.json"
    fi
    ;;
  *) say "unknown job mode '$OOMLAB_MODE'"; rc=2 ;;
esac
say "job exit $rc"

jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/\t/ /g' | tr -d '\000-\037')"; }
props_json() {
  local sep= k v
  printf '{'
  while IFS='=' read -r k v; do
    [ -n "$k" ] && printf '%s%s: %s' "$sep" "$(jstr "$k")" "$(jstr "$v")" && sep=', '
  done < "$1"
  printf '}'
}
if [ -n "$unit" ]; then
  # A service with WatchdogSec= pings every half of it: wait for one ping
  # after the "before" snapshot (a short scenario can end before the first).
  wd=$(systemctl show "$unit" -p WatchdogUSec --value)
  if [ -n "$wd" ] && [ "$wd" != 0 ] && [ "$wd" != infinity ]; then
    t0=$(sed -n 's/^WatchdogTimestampMonotonic=//p' "$out/guard-before.txt")
    for i in $(seq 60); do
      [ "$(systemctl show "$unit" -p WatchdogTimestampMonotonic --value)" != "$t0" ] && break
      sleep 1
    done
  fi
  systemctl show "$unit" -p "$props" > "$out/guard-after.txt"
  systemctl status "$unit" --no-pager -l -n 40 > "$out/guard-status.txt" 2>&1
  # Epoch timestamps: the host puts the guard's kills on the runner's timeline.
  journalctl -b -u "$unit" -o short-unix --no-pager > "$out/guard-journal.txt" 2>&1
  [ "$unit" = systemd-oomd.service ] && oomctl dump > "$out/oomctl.txt" 2>&1
fi
if systemctl cat oomlab-watchdog.service > /dev/null 2>&1; then
  systemd-analyze security oomlab-watchdog.service --no-pager > "$out/security-oomlab-watchdog.txt" 2>&1
fi
systemctl list-units --failed --plain --no-legend --no-pager > "$out/failed-units.txt" 2>&1
journalctl -b -o short-monotonic --no-pager > "$out/journal.txt" 2>&1
{
  printf '{"system_state": %s, "multi_user_target": %s, ' "$(jstr "$state")" "$(jstr "$target")"
  printf '"systemd_version": %s, ' "$(jstr "$(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')")"
  printf '"failed_units": %s, ' "$(jstr "$(tr '\n' ' ' < "$out/failed-units.txt")")"
  printf '"guard": {"unit": %s, ' "$(jstr "$unit")"
  if [ -n "$unit" ]; then
    printf '"enable_exit_code": %d, "enable_ms": %d, ' "$enable_rc" "$ready_ms"
    printf '"before": %s, "after": %s' "$(props_json "$out/guard-before.txt")" "$(props_json "$out/guard-after.txt")"
  else
    printf '"enable_exit_code": null'
  fi
  printf '}, "job_exit_code": %d}\n' "$rc"
} > "$out/systemd.json"

kill "$heartbeat" 2>/dev/null
# Nothing else on the console while the results go out: no kernel lines, no
# systemd status lines (SIGRTMIN+21 turns them off).
dmesg -n 1
kill -s SIGRTMIN+21 1
echo "OOMLAB-VM: report begin"
cat "$out/report.json"
echo "OOMLAB-VM: report end"
send() {  # NAME FILE
  [ -f "$2" ] || return
  echo "OOMLAB-VM: file begin $1"
  cat "$2"
  echo
  echo "OOMLAB-VM: file end"
}
for f in systemd.json guard-status.txt guard-journal.txt guard-enable.txt oomctl.txt security-oomlab-watchdog.txt journal.txt; do
  send "$f" "$out/$f"
done
for f in "$out"/cmd-*; do
  [ "$f" = "$out/cmd-result.json" ] || send "${f##*/}" "$f"
done
if [ "$OOMLAB_MODE" = scenario ]; then
  # The runner's report directory was named with --report-dir: nothing to read out of its summary.
  for f in "$work/run/report.json" "$work/run/report.html"; do
    send "guest-${f##*/}" "$f"
  done
fi
echo "OOMLAB-VM: exit code=$rc"
sync
systemctl poweroff --force --force
