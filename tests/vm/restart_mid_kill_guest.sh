# Guest side of VmDebian.WatchdogSigkilledMidKillRestartsAndKillsNothingTwice
# (tests/vm/debian_boot_test.cpp), run by `oomlab-vm run --rootfs debian
# --guard oomlab-watchdog --guest-cmd "$(cat this file)"` with dash, as root,
# in a scope of oomlab.slice. The watchdog is the installed unit as systemd
# runs it (Restart=always, RestartSec=1s); only its config is shortened here,
# the way an administrator would, and scoped to the test's group so it can
# act on nothing else.
#
# Group oomlab.slice/wdrestart holds three processes:
#   V  sleep, oom_score_adj 1000 (first choice), frozen in a v1 freezer group:
#      a SIGKILL stays pending, so V stays dying for as long as the test wants
#      (a v2 frozen task dies of SIGKILL at once);
#   N  sleep, oom_score_adj 500 (the next choice);
#   S  perl allocating far past memory.high=8M with no swap: throttled in
#      mem_cgroup_handle_over_high (D) again and again - the stall that makes
#      the watchdog act.
# When the first instance's `kill` line is in its JSON log and V has SIGKILL
# pending, the instance's MainPID is SIGKILLed. systemd restarts the unit; the
# new instance sees the same stall (S, and V dying) and must not choose V
# again. The log of both instances, systemctl show before/after and the
# facts go back to the host as files (cmd-*), the figures as cmd-result.json
# (report.json's guest.report.result); the host checks them.
set -u
out=${OOMLAB_OUT:-/run/oomlab-vm}
unit=oomlab-watchdog.service
log=/var/log/oomlab-watchdog/events.jsonl
slice=/sys/fs/cgroup/oomlab.slice
cg=$slice/wdrestart
fz=/run/oomlab-wdrestart-freezer
facts=$out/cmd-facts.txt
: > "$facts"
fact() { echo "OOMLAB-RESTART $*"; echo "$*" >> "$facts"; }
now_ms() { date +%s%3N; }
kills() { grep -c '"type":"kill"' "$log" 2>/dev/null || true; }
show() { systemctl show "$unit" -p "$1" --value; }
fail() { fact "error=$*"; cleanup; exit 1; }
sigkill_pending() {  # PID: SIGKILL (bit 9) in its pending sets
  for h in $(sed -n 's/^\(SigPnd\|ShdPnd\):[[:space:]]*//p' "/proc/$1/status" 2>/dev/null); do
    [ $((0x${h#????????????} & 0x100)) -ne 0 ] && return 0
  done
  return 1
}
cleanup() {
  [ -d "$fz/hold" ] && echo THAWED > "$fz/hold/freezer.state"
  [ -d "$cg" ] && echo 1 > "$cg/cgroup.kill"
  wait
  [ -d "$fz/hold" ] && rmdir "$fz/hold"
  mountpoint -q "$fz" && umount "$fz"
  [ -d "$fz" ] && rmdir "$fz"
  [ -d "$cg" ] && rmdir "$cg"
}

# A short config, acting only inside the test's group.
conf=$(systemctl cat "$unit" | sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p')
[ -n "$conf" ] || fail "no --config in the unit's ExecStart"
cat > "$conf" <<EOF
{
  "period": "500ms", "warn-after": "1s", "kill-after": "3s", "escalate-after": "10s", "max-victims": 2,
  "scope": "/oomlab.slice/wdrestart",
  "protect": ["^(sshd|systemd|systemd-journal|oomlab-watchdog)$"],
  "kmsg-write": true, "json-log": "$log", "sysrq": false
}
EOF
systemctl restart "$unit" || fail "systemctl restart $unit"
[ "$(show ActiveState)" = active ] || fail "$unit not active after restart"

mkdir -p "$fz" && mount -t cgroup -o freezer oomlab-wdrestart "$fz" || fail "no v1 freezer (cannot hold a killed process)"
mkdir "$fz/hold" || fail "mkdir $fz/hold"
grep -qw memory "$slice/cgroup.subtree_control" || echo +memory > "$slice/cgroup.subtree_control"
mkdir "$cg" && echo 8M > "$cg/memory.high" || fail "cannot make $cg with memory.high"
spawn() { sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" & }
spawn sleep 100000; V=$!
spawn sleep 100000; N=$!
sleep 0.5
echo 1000 > "/proc/$V/oom_score_adj" && echo 500 > "/proc/$N/oom_score_adj" || fail "oom_score_adj"
echo "$V" > "$fz/hold/cgroup.procs" && echo FROZEN > "$fz/hold/freezer.state" || fail "freeze"
for i in $(seq 100); do [ "$(cat "$fz/hold/freezer.state")" = FROZEN ] && break; sleep 0.1; done
[ "$(cat "$fz/hold/freezer.state")" = FROZEN ] || fail "V never froze"
spawn perl -e '$x = "a" x (256 << 20); sleep 1000'; S=$!
fact "victim_v=$V victim_n=$N stall_s=$S group=/oomlab.slice/wdrestart"

pid1=$(show MainPID); restarts0=$(show NRestarts); base=$(kills)
fact "mainpid_before=$pid1 nrestarts_before=$restarts0 kill_lines_before=$base"
systemctl show "$unit" > "$out/cmd-show-before.txt"

# The first instance's kill, then its SIGKILL while V is still dying.
t0=$(now_ms); seen=no
for i in $(seq 1200); do [ "$(kills)" -gt "$base" ] && { seen=yes; break; }; sleep 0.1; done
[ $seen = yes ] || fail "no kill line from the first instance in 120 s"
t_line=$(now_ms)
pending=no
for i in $(seq 100); do sigkill_pending "$V" && { pending=yes; break; }; sleep 0.05; done
kill -KILL "$pid1"; t_sigkill=$(now_ms)
lines1=$(wc -l < "$log")
fact "first_kill_after_ms=$((t_line - t0)) v_sigkill_pending_at_watchdog_sigkill=$pending sigkill_after_kill_line_ms=$((t_sigkill - t_line)) log_lines_first_instance=$lines1"

# systemd's restart: a new MainPID, active again (Type=notify: after READY=1).
restarted=no
for i in $(seq 600); do
  p=$(show MainPID); a=$(show ActiveState)
  [ "$p" != 0 ] && [ "$p" != "$pid1" ] && [ "$a" = active ] && { restarted=yes; break; }
  sleep 0.1
done
t_active=$(now_ms)
v_dying=no; [ -d "/proc/$V" ] && sigkill_pending "$V" && v_dying=yes
fact "restarted=$restarted restart_to_active_ms=$((t_active - t_sigkill)) mainpid_after=$(show MainPID) nrestarts_after=$(show NRestarts) active_after=$(show ActiveState) v_dying_when_restarted=$v_dying"

# The new instance acts on the stall that goes on; then one escalation more
# (escalate-after 10s: also the margin for the SIGKILL above, ~0.3 s measured).
acted=no
for i in $(seq 1200); do
  [ "$(tail -n +$((lines1 + 1)) "$log" | grep -c '"type":"kill"')" -gt 0 ] && { acted=yes; break; }
  sleep 0.1
done
sleep 14
fact "second_instance_acted=$acted v_alive_before_thaw=$([ -d /proc/$V ] && echo yes || echo no)"
systemctl show "$unit" > "$out/cmd-show-after.txt"
cp "$log" "$out/cmd-events.jsonl"
journalctl -b -u "$unit" -o short-monotonic --no-pager > "$out/cmd-journal.txt" 2>&1

count() { grep '"type":"kill"' "$out/cmd-events.jsonl" | grep -c '"pid":'"$1"'[,}]' || true; }
total=$(grep -c '"type":"kill"' "$out/cmd-events.jsonl" || true)
kv=$(count "$V"); kn=$(count "$N"); ks=$(count "$S")
fact "kill_lines_v=$kv kill_lines_n=$kn kill_lines_s=$ks kill_lines_total=$((total - base))"
cleanup
printf '{"victim_v": %d, "victim_n": %d, "stall_s": %d, "restarted": "%s", "restart_to_active_ms": %d, ' \
  "$V" "$N" "$S" "$restarted" "$((t_active - t_sigkill))" > "$out/cmd-result.json"
printf '"nrestarts_before": %s, "nrestarts_after": %s, "mainpid_before": %s, "mainpid_after": %s, ' \
  "$restarts0" "$(show NRestarts)" "$pid1" "$(show MainPID)" >> "$out/cmd-result.json"
printf '"v_dying_when_restarted": "%s", "kill_lines": {"v": %d, "n": %d, "s": %d, "total": %d}}\n' \
  "$v_dying" "$kv" "$kn" "$ks" "$((total - base))" >> "$out/cmd-result.json"
exit 0
