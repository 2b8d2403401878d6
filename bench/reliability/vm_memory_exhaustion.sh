#!/usr/bin/env bash
# The watchdog under system-wide memory exhaustion, in the test VM (TCG:
# slow, ~2-4 min): the guest command runs with no memory limit and keeps
# more anonymous memory wanted than the guest has (dd buffers of 150 MiB, 4
# at a time, for SECONDS), so the kernel OOM killer fires again and again.
# oomlab-watchdog runs beside it (started by the guest init, mlocked, oom_score_adj
# -1000) with --json-log. Afterwards the guest prints the watchdog's state
# and both of its logs; this script checks, from serial.log:
#   - the watchdog is alive at the end and was never OOM-killed;
#   - its protection (mlock, oom_score_adj) as its own 'started:' line says;
#   - no JSON line lost: every line on its stderr (each report is written to
#     stderr and to the JSON log) has its JSON twin, in the same order.
# usage: bench/reliability/vm_memory_exhaustion.sh [SECONDS] [BIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-40}
bin=${2:-build/ci/bin}
for tool in oomlab-vm oomlab-analyze; do
  [ -x "$bin/$tool" ] || { echo "vm_memory_exhaustion: $bin/$tool not built" >&2; exit 2; }
done
out=$(mktemp -d /tmp/oomlab-vm-fault-XXXXXX)
trap 'rm -rf "$out"' EXIT
[ -n "${KEEP:-}" ] && trap 'echo "kept $out"' EXIT
cmd='
end=$(( $(cut -d. -f1 /proc/uptime) + '"$seconds"' ))
rounds=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
  for i in 1 2 3 4; do dd if=/dev/zero of=/dev/null bs=150M count=4 2>/dev/null & done
  wait; rounds=$((rounds+1))
done
sleep 3
w=$(pidof oomlab-watchdog)
echo "OOMLAB-FAULT rounds=$rounds watchdog_pid=${w:-none}"
[ -n "$w" ] && echo "OOMLAB-FAULT adj=$(cat /proc/$w/oom_score_adj) $(grep VmLck /proc/$w/status | tr -s " \t" " ")"
echo "OOMLAB-FAULT oom_kill=$(grep oom_kill /proc/vmstat)"
echo "OOMLAB-FAULT json begin"; cat /tmp/wd.jsonl; echo "OOMLAB-FAULT json end"
echo "OOMLAB-FAULT stderr begin"; cat /tmp/watchdog.log; echo "OOMLAB-FAULT stderr end"
'
set +e
"$bin/oomlab-vm" run --accel "${OOMLAB_VM_ACCEL:-tcg}" --timeout 6m --stall-timeout 90s --watchdog \
  --watchdog-arg --json-log --watchdog-arg /tmp/wd.jsonl --watchdog-arg --period --watchdog-arg 500ms \
  --watchdog-arg --warn-after --watchdog-arg 1s --watchdog-arg --kill-after --watchdog-arg 2s \
  --guest-cmd "$cmd" --reports "$out" >"$out/stdout" 2>"$out/stderr"
rc=$?
set -e
serial=$(find "$out" -name serial.log | head -1)
[ -n "$serial" ] || { echo "vm_memory_exhaustion: no serial.log (oomlab-vm exit $rc)"; cat "$out/stderr"; exit 1; }
python3 - "$serial" "$bin/oomlab-analyze" "$out/wd.jsonl" <<'PY'
import re, subprocess, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace").replace("\r", "")
def block(name):
    m = re.search(rf"OOMLAB-FAULT {name} begin\n(.*?)OOMLAB-FAULT {name} end", text, re.S)
    return m.group(1).splitlines() if m else None
facts = {}
for l in re.findall(r"OOMLAB-FAULT (.*)", text):
    facts.update(re.findall(r"(\w+)=(\S+)", l))
js, err = block("json"), block("stderr")
ok = True
def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok &= bool(cond)
check(js is not None and err is not None, "the guest printed both logs")
js, err = js or [], err or []
# The watchdog's JSON log as the guest printed it, back to its text lines
# through its codec (oomlab-analyze --watchdog-lines): no JSON is read here.
with open(sys.argv[3], "w") as f:
    f.write("".join(l + "\n" for l in js))
got = subprocess.run([sys.argv[2], "--watchdog-lines", sys.argv[3]], capture_output=True, text=True, errors="replace")
check(got.returncode == 0, "every JSON line decodes" + (f" ({got.stderr.strip()})" if got.returncode else ""))
twins = got.stdout.splitlines()
lines = [re.sub(r"^<\d+>", "", l) for l in err if re.match(r"^<\d+>", l)]
missing = [l for l in lines if l not in twins]
kills_by_kernel = len(re.findall(r"oom-kill:", text))
wd_killed = re.findall(r"Killed process \d+ \(oomlab-watchdog\)", text)
check(facts.get("watchdog_pid", "none") != "none", f"watchdog alive at the end (pid {facts.get('watchdog_pid')})")
check(not wd_killed, "the watchdog was never OOM-killed")
check(facts.get("adj") == "-1000", f"oom_score_adj {facts.get('adj')}")
check(len(lines) > 0 and not missing, f"{len(lines)} stderr report lines, {len(twins)} JSON lines, {len(missing)} without a JSON twin")
m = re.search(r"VmLck: (\S+ \S+)", text)
vmlck = m.group(1) if m else "?"
print(f"figures: exhaustion rounds={facts.get('rounds')} kernel OOM kill lines={kills_by_kernel} "
      f"vmstat {facts.get('oom_kill','?')} json_lines={len(twins)} stderr_lines={len(lines)} VmLck={vmlck}")
started = [l for l in twins if "started" in l][:1]
if started: print("started line:", started[0][:300])
sys.exit(0 if ok else 1)
PY
