#!/usr/bin/env bash
# Times oomlab-analyze against `grep -c oom` on the same generated kernel log
# and measures both programs' max RSS (/usr/bin/time, Debian package "time").
# Goal: at least half of grep's speed, RSS under 32 MiB whatever the size.
#
# usage: run_bench.sh [--quick] [--shape realistic|oom-dense] [--size 1G] [--bin-dir DIR]
#                     [--work-dir DIR] [--runs N] [--write]
#   --shape     realistic (default, 1 GiB): kernel chatter with OOM reports, stalls, dumps;
#               oom-dense (512 MiB): the seed ../shared/seeds/003_*.txt's OOM reports, task
#               tables and traces repeated (restamped), the analyzer's worst case
#   --quick     8 MiB log, one run: checks the benchmark works (CTest, label bench)
#   --write     record the figures in bench/analyzer/RESULTS.md (the shape's section)
# Exit: 0 ok, 1 a check failed (RSS over the limit, wrong verdict), 2 usage, 77 no /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size="" runs=3 quick=0 write=0 shape=realistic
seed_glob="$here/../../../shared/seeds/003_*.txt"
bin_dir=$here/../../build/release/bin
work_dir=${TMPDIR:-/tmp}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 size=8M runs=1 ;;
    --shape) shape=$2; shift ;;
    --size) size=$2; shift ;;
    --runs) runs=$2; shift ;;
    --bin-dir) bin_dir=$2; shift ;;
    --work-dir) work_dir=$2; shift ;;
    --write) write=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case $shape in
  realistic) size=${size:-1G} gen_args=() ;;
  oom-dense)
    size=${size:-512M}
    seed_file=$(ls $seed_glob 2>/dev/null | head -1)
    if [ -z "$seed_file" ]; then echo "SKIP: no seed $seed_glob for --shape oom-dense"; exit 77; fi
    gen_args=(--repeat "$seed_file") ;;
  *) echo "run_bench.sh: --shape is realistic or oom-dense" >&2; exit 2 ;;
esac
analyze=$bin_dir/oomlab-analyze genlog=$bin_dir/oomlab-bench-genlog
for b in "$analyze" "$genlog"; do
  [ -x "$b" ] || { echo "run_bench.sh: $b not built (cmake --build ... --target oomlab-analyze oomlab-bench-genlog)" >&2; exit 2; }
done
if [ ! -x /usr/bin/time ]; then
  echo "SKIP: /usr/bin/time missing (apt-get install time)"
  exit 77
fi
mkdir -p "$work_dir"
log=$work_dir/oomlab-bench-analyzer-$shape-$size.log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ $quick = 1 ] && rm -f "$log"; true' EXIT

if [ ! -s "$log" ]; then
  echo "generating $size log at $log"
  "$genlog" --size "$size" --seed 1 "${gen_args[@]}" "$log"
fi
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null   # page cache warm for both contenders

# Over $runs runs: best wall time (s), best CPU time (user+sys, s), max RSS (KiB), last exit status.
# CPU time is the fairer speed figure on a shared machine; both are reported.
measure() {
  local best="" best_cpu="" rss=0 status=0 secs user sys kib cpu
  for _ in $(seq "$runs"); do
    set +e
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    set -e
    read -r secs user sys kib < <(tail -n 1 "$tmp/time")
    cpu=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    if [ -z "$best_cpu" ] || awk "BEGIN{exit !($cpu < $best_cpu)}"; then best_cpu=$cpu; fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$best $best_cpu $rss $status"
}

read -r g_secs g_cpu g_rss g_status < <(measure grep -c oom "$log")
grep_count=$(cat "$tmp/out")
read -r a_secs a_cpu a_rss a_status < <(measure "$analyze" --jsonl "$log")
verdict=$(sed -n 's/.*"verdict":"\([a-z_]*\)".*/\1/p' "$tmp/out" | head -1)

mib=$(awk "BEGIN{printf \"%.0f\", $bytes/1048576}")
ratio=$(awk "BEGIN{ if ($a_secs > 0) printf \"%.2f\", $g_secs/$a_secs; else print \"inf\" }")
cpu_ratio=$(awk "BEGIN{ if ($a_cpu > 0) printf \"%.2f\", $g_cpu/$a_cpu; else print \"inf\" }")
g_rate=$(awk "BEGIN{ if ($g_secs > 0) printf \"%.0f\", $bytes/1048576/$g_secs; else print \"-\" }")
a_rate=$(awk "BEGIN{ if ($a_secs > 0) printf \"%.0f\", $bytes/1048576/$a_secs; else print \"-\" }")
a_rss_mib=$(awk "BEGIN{printf \"%.1f\", $a_rss/1024}")
g_rss_mib=$(awk "BEGIN{printf \"%.1f\", $g_rss/1024}")

printf '%-16s %9s %9s %9s %11s\n' program wall_s cpu_s MiB/s maxRSS_MiB
printf '%-16s %9s %9s %9s %11s\n' "grep -c oom" "$g_secs" "$g_cpu" "$g_rate" "$g_rss_mib"
printf '%-16s %9s %9s %9s %11s\n' oomlab-analyze "$a_secs" "$a_cpu" "$a_rate" "$a_rss_mib"
echo "log: $shape, $mib MiB; grep counted $grep_count lines; analyzer verdict $verdict, exit $a_status"
echo "speed ratio analyzer/grep: wall $ratio, cpu $cpu_ratio (goal >= 0.5); analyzer RSS $a_rss_mib MiB (goal < 32)"

fail=0
if [ "$a_rss" -ge $((32 * 1024)) ]; then echo "FAIL: analyzer RSS $a_rss_mib MiB >= 32 MiB"; fail=1; fi
if [ "$a_status" != 1 ] || [ -z "$verdict" ] || [ "$verdict" = clean ]; then
  echo "FAIL: the generated log holds OOM reports, the analyzer said '$verdict' (exit $a_status)"; fail=1
fi
if [ $quick = 0 ] && awk "BEGIN{exit !($ratio < 0.5 && $cpu_ratio < 0.5)}"; then echo "FAIL: slower than half of grep"; fail=1; fi

if [ $write = 1 ]; then
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  if [ $shape = oom-dense ]; then
    what="the kernel lines of \`$(basename "$seed_file")\` (a 2015 mmap_sem OOM livelock: MemAlloc-Info stalls, a task table, an OOM kill, 16 task dumps in both frame syntaxes) repeated and restamped: \`oomlab-bench-genlog --size $size --repeat $(basename "$seed_file")\`"
  else
    what="dmesg-format kernel chatter with an OOM report (trace, Mem-Info, 30-row task table, kill, reaper) every 50,000 lines, MemAlloc stall reports, hung-task and sysrq task dumps and WARNINGs: \`oomlab-bench-genlog --size $size --seed 1\`"
  fi
  section=$(mktemp)
  cat > "$section" <<MD
<!-- shape:$shape -->
## Shape \`$shape\`: $mib MiB

\`bench/analyzer/run_bench.sh --shape $shape --size $size --runs $runs --write\` on $(date -u '+%Y-%m-%d %H:%M') UTC:
$(nproc) cores ($cpu), kernel $(uname -r), file in the page cache, best of $runs runs,
load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other jobs: CPU time is
the fairer figure); binaries from \`${bin_dir#$here/../../}\`. The log: $what.

| program | wall s | CPU s | MiB/s (wall) | max RSS |
|---|---:|---:|---:|---:|
| \`grep -c oom\` | $g_secs | $g_cpu | $g_rate | $g_rss_mib MiB |
| \`oomlab-analyze --jsonl\` | $a_secs | $a_cpu | $a_rate | $a_rss_mib MiB |

- speed ratio analyzer/grep: **$ratio** by wall time, **$cpu_ratio** by CPU time (goal >= 0.5);
  grep counted $grep_count matching lines
- analyzer max RSS **$a_rss_mib MiB** (goal < 32 MiB), bounded by the caps in
  \`analyzer/include/oomlab/analyzer/model.hpp\` (Limits), not by the input size
- analyzer verdict: \`$verdict\`
<!-- /shape:$shape -->
MD
  results=$here/RESULTS.md
  [ -f "$results" ] || printf '# bench/analyzer results\n' > "$results"
  if grep -q "<!-- shape:$shape -->" "$results"; then
    awk -v f="$section" -v s="<!-- shape:$shape -->" -v e="<!-- /shape:$shape -->" '
      $0 == s { while ((getline l < f) > 0) print l; skip = 1; next }
      $0 == e { skip = 0; next }
      !skip' "$results" > "$results.new" && mv "$results.new" "$results"
  else
    { echo; cat "$section"; } >> "$results"
  fi
  rm -f "$section"
  echo "wrote the $shape section of $results"
fi
exit $fail
