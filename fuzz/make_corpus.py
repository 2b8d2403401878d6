#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the project's fixtures,
the shared seeds and real-log corpus, and small texts in the kernel's own
formats. Re-run after adding fixtures; the output is committed. Seeds are cut
at a line boundary to MAX bytes: libFuzzer's -max_len defaults to the largest
seed, and short inputs keep executions per second high."""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
OUT = os.path.join(ROOT, "fuzz", "corpus")
MAX = 6144


def cut(data: bytes, limit: int = MAX) -> bytes:
    if len(data) <= limit:
        return data
    nl = data.rfind(b"\n", 0, limit)
    return data[: nl + 1 if nl > 0 else limit]


def write(target: str, name: str, data: bytes) -> None:
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]
    with open(os.path.join(d, safe), "wb") as f:
        f.write(data)


def files(d: str):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if os.path.isfile(os.path.join(d, f)) and not f.endswith((".md", ".tsv", ".py")))


def read(p: str) -> bytes:
    with open(p, "rb") as f:
        return f.read()


def main() -> int:
    logs = (files(os.path.join(ROOT, "tests/analyzer/fixtures"))
            + files(os.path.join(SHARED, "seeds"))
            + files(os.path.join(SHARED, "corpus/real-logs")))
    # analyzer: two control bytes (wrapper, limits) then the log as is.
    for p in logs:
        write("analyzer", os.path.basename(p), b"\0\0" + cut(read(p)))
    # A few with a wrapper and tight limits, so both branches start covered.
    for i, p in enumerate(logs[:10]):
        write("analyzer", f"wrap{i + 1}-{os.path.basename(p)}", bytes([i + 1, 1 | (4 if i % 2 else 0)]) + cut(read(p), 2048))

    # kmsg: single records and single lines in every stamp form.
    kmsg = [
        b"6,1202,380042500,-;[  467]     0   467    14047     1815      28       3        0             0 systemd-journal\n",
        b"3,1205,380130392,-;Killed process 3418 (a.out) total-vm:4324kB, anon-rss:96kB, file-rss:0kB\n",
        b"4,1201,380039897,c;a.out invoked oom-killer: gfp_mask=0x24280ca, order=0, oom_score_adj=0\n SUBSYSTEM=x\n DEVICE=+y\n",
        b"6,77,12345,-,caller=T123;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
        b"oom_memcg=/oomlab/repro-1,task_memcg=/oomlab/repro-1/w,task=hog,pid=4242,uid=0\n",
        b"3,9,18446744073709551615,-;Memory cgroup out of memory: Killed process 4242 (hog) total-vm:1kB, anon-rss:2kB, "
        b"file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0\n",
        b"[  123.456789] Out of memory: Kill process 3417 (a.out) score 890 or sacrifice child\n",
        b"[Mon Nov 23 10:00:01 2026] Killed process 1 (init)\n",
        b"Nov 23 10:00:01 host kernel: [  12.000000] INFO: task a.out:3418 blocked for more than 120 seconds.\n",
        b"2026-11-23T10:00:01.123456+00:00 host kernel: MemAlloc: a.out(3418) flags=0x400840 switches=1\n",
        b"<4>[    1.000000] [  C1] warn_alloc: 1 callbacks suppressed\n",
        b"> >> [ 5.5] host oomlab-watchdog[77]: MemAlloc-Info: stalling=3 dying=1 exiting=0 victim=1 oom_count=2\n",
        b"[   12.345678] [  T123] oom_reaper: reaped process 3418 (a.out), now anon-rss:0kB, file-rss:0kB\n",
    ]
    for i, rec in enumerate(kmsg):
        write("kmsg", f"rec{i:02d}", rec)
    for p in logs[:8]:
        write("kmsg", "log-" + os.path.basename(p), cut(read(p), 1024))

    # psi: control byte (period step), up to 7 readings and a threshold, NUL-separated.
    psi_some = b"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    psi_both = (b"some avg10=31.52 avg60=12.10 avg300=3.33 total=123456789\n"
                b"full avg10=17.20 avg60=5.00 avg300=1.10 total=98765432\n")
    psi_more = (b"some avg10=72.00 avg60=40.00 avg300=10.00 total=223456789\n"
                b"full avg10=60.00 avg60=30.00 avg300=8.00 total=198765432\n")
    write("psi", "idle", b"\x14" + psi_some + b"\0" + psi_some + b"\0full=40,some=60")
    write("psi", "thrash", b"\x14" + b"\0".join([psi_both, psi_more, psi_more, psi_more]) + b"\0some=25")
    write("psi", "cpu-no-full", b"\x00" + psi_some + b"\0off")
    for f in ("/proc/pressure/memory", "/proc/pressure/io", "/proc/pressure/cpu"):
        if os.path.exists(f):
            write("psi", "host-" + os.path.basename(f), b"\x30" + read(f) + b"\0full=60")

    # proc: stat \0 wchan \0 stack.
    stat = b"3418 (a.out) D 3417 3417 800 34816 3417 4194560 123 0 0 0 10 20 0 0 20 0 3 0 4567 4431872 1081 " \
           b"18446744073709551615 1 1 0 0 0 0 256 0 0 0 0 0 17 1 0 0 42 0 0 0 0 0 0 0 0 0 0\n"
    weird = b"77 (a) b (c)) R 1 77 77 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    kthread = b"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    stack = (b"[<0>] __alloc_pages_slowpath.constprop.0+0x3c5/0xd40\n[<0>] __alloc_pages+0x2f1/0x320\n"
             b"[<0>] try_to_free_pages+0x1c/0x40\n[<0>] do_page_fault+0x30/0x80\n")
    lock = b"[<0>] rwsem_down_read_slowpath+0x2a0/0x4c0\n[<0>] down_read_killable+0x5b/0x100\n[<0>] __access_remote_vm+0x4c/0x2f0\n"
    write("proc", "reclaim", stat + b"\0try_to_free_pages\0" + stack)
    write("proc", "mmap-lock", weird + b"\0rwsem_down_read_slowpath\0" + lock)
    write("proc", "kthread", kthread + b"\0kthreadd\0")
    write("proc", "exit", stat.replace(b" D ", b" Z ") + b"\0do_exit\0[<0>] do_exit+0x2c/0x80\n")
    if os.path.exists("/proc/self/stat"):
        write("proc", "self", read("/proc/self/stat") + b"\0" + read("/proc/self/wchan") + b"\0")

    # cgroup: four files NUL-separated, in the positions fuzz_cgroup.cpp reads them.
    events_v2 = b"low 0\nhigh 12\nmax 345\noom 3\noom_kill 2\noom_group_kill 0\n"
    oom_control = b"oom_kill_disable 0\nunder_oom 0\noom_kill 7\n"
    proc_cgroup_v1 = b"12:memory:/oomlab/repro-1\n11:freezer:/\n0::/user.slice\n"
    proc_cgroup_v2 = b"0::/system.slice/oomlab-watchdog.service\n"
    mountinfo = (b"25 30 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
                 b"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw\n"
                 b"30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory\n")
    mountinfo_v2 = b"35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
    mounts = (b"cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid 0 0\n"
              b"cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\n")
    write("cgroup", "v2", events_v2 + b"\0max\0" + mountinfo_v2 + b"\0/sys/fs/cgroup/oomlab/x")
    write("cgroup", "v1", oom_control + b"\x009223372036854771712\0" + mountinfo + b"\0memory\n")
    write("cgroup", "proc-cgroup", proc_cgroup_v1 + b"\0" + b"134217728\n\0" + mounts + b"\0/sys/fs/cgroup/memory/oomlab/x")
    write("cgroup", "proc-cgroup-v2", proc_cgroup_v2 + b"\0" + b"5\0" + mountinfo_v2 + b"\0cpuset cpu io memory pids\n")
    for f in ("/proc/self/mountinfo", "/proc/self/cgroup"):
        if os.path.exists(f):
            data = read(f)
            write("cgroup", "host-" + os.path.basename(f), data + b"\0" + b"0\0" + data + b"\0memory pids\n")

    # watchdog_config: mode byte (0 JSON, 1 argv pieces + JSON), then the text.
    example = read(os.path.join(ROOT, "watchdog/oomlab-watchdog.example.json"))
    write("watchdog_config", "example", b"\0" + example)
    write("watchdog_config", "args-example", b"\x01--profile=desktop\0--kill-after=15s\0--dry-run\0" + example)
    write("watchdog_config", "args-only", b"\x01run\0--scope\0/oomlab\0--pressure-above\0some=25\0--period=500ms\0{}")
    write("watchdog_config", "minimal", b"\0" + b'{"warn-after": 5, "kill-after": "1.5m", "max-victims": 3}')
    write("watchdog_config", "bad-type", b"\0" + b'{"prefer": [1, true, 2.5], "period": null}')
    write("watchdog_config", "sizes", b"\0" + b"1.5G")

    # watchdog_log: the watchdog's JSON lines, one file per record type and one whole log.
    wd = [
        b'{"type":"memalloc_info","time":"2026-12-06T16:00:01.000Z","mono_ms":1000,"priority":4,"line":"oomlab-watchdog[7]: MemAlloc-Info: stalling=1 dying=0 exiting=0 victim=0 oom_count=0","stalling":1,"dying":0,"exiting":0,"victim":0,"oom_count":0}',
        b'{"type":"memalloc","time":"2026-12-06T16:00:01.000Z","mono_ms":1000,"priority":4,"line":"x","comm":"a b (c)","tid":42,"tgid":42,"state":"D","kind":"mmap_lock","delay_ms":1500,"wchan":"vm_mmap_pgoff","cgroup":"/oomlab/x","rss_kb":100,"dying":false,"exiting":false,"victim":false,"reclaim_delay_ms":12}',
        b'{"type":"warn","time":"2026-12-06T16:00:01.500Z","mono_ms":1500,"priority":4,"line":"w","tid":42,"comm":"a","delay_ms":502,"cgroup":"/oomlab/x"}',
        b'{"type":"kill","time":"2026-12-06T16:00:02.000Z","mono_ms":2000,"priority":3,"line":"k","pid":42,"comm":"hog","cgroup":"/oomlab/x","rss_kb":204800,"oom_score_adj":0,"reason":"stall_timeout","dry_run":false}',
        b'{"type":"killed","time":"2026-12-06T16:00:02.100Z","mono_ms":2100,"priority":5,"line":"k","pid":42,"comm":"hog","kill_to_exit_ms":36,"kill_to_freed_ms":263,"freed_kb":61636,"reap_error":0,"closed_after_ms":300,"freed_by":"exit"}',
        b'{"type":"escalate","time":"2026-12-06T16:00:03.000Z","mono_ms":3000,"priority":3,"line":"e","cgroup":"/oomlab/x","reason":"cgroup_kill"}',
        b'{"type":"kmsg_summary","time":"t","mono_ms":4000,"priority":5,"line":"s","withheld":12,"period_ms":1000}',
        b'{"type":"note","time":"t","mono_ms":5000,"priority":5,"line":"oomlab-watchdog[7]: stall in cgroup /oomlab/x resolved after 267ms and 1 kill(s)"}',
    ]
    for i, line in enumerate(wd):
        write("watchdog_log", f"record{i}", line + b"\n")
    write("watchdog_log", "log", b"\n".join(wd) + b"\n")

    # report: report.json (the formats fixture cut to a few samples and
    # lines: the structure is what matters), a runs.json, a verdict.
    import json
    rep = json.loads(read(os.path.join(ROOT, "tests/formats/fixtures/mmap-sem.report.json")))
    rep["timeline"] = rep["timeline"][:3]
    rep["kernel_log"]["lines"] = rep["kernel_log"]["lines"][:4]
    rep["watchdog"]["events"] = rep["watchdog"]["events"][:3]
    rep["workload"]["log_tail"] = rep["workload"]["log_tail"][:200]
    rep["oom_kills"] = rep["oom_kills"][:2]
    rep["log_verdict"] = {k: rep["log_verdict"][k] for k in ("schema", "verdict", "title", "input")}
    rep["log_verdict"]["findings"] = [{"class": "oom_resolved", "title": rep["log_verdict"]["title"]}]
    rep["outcome"]["stall"] = {"start_ms": 100, "end_ms": 2900, "length_ms": 2800, "ongoing": True,
                               "cause": "blocked_wait", "wait": "mmap_lock", "max_blocked": 3,
                               "description": "up to 3 task(s) blocked on mmap_lock"}
    rep["outcome"]["ended_by"] = {"t_ms": 2950, "pid": 42, "comm": "slow-fuse", "by": "watchdog", "reason": "escalation"}
    write("report", "report", json.dumps(rep, indent=1, sort_keys=True).encode() + b"\n")
    write("report", "runs",
          b'{"schema":"oomlab.bench-peers/1","settings":{"where":"host","limit":"128M","duration_s":20,"runs":1,'
          b'"quick":true,"period_ms":50,"guards":{"none":"the kernel alone"}},"runs":[{"scenario":"mmap-sem",'
          b'"guard":"none","run":1,"outcome":"oom_resolved","duration_ms":8000,"guard_ready_ms":null,'
          b'"first_stall_ms":1200,"first_kill_ms":1500,"stall_to_kill_ms":300,"kill_to_freed_ms":12,'
          b'"no_progress_ms":900,"stalled_at_end":false,"right_victim":true,"hit":true,"kills":[{"t_ms":1500,'
          b'"by":"kernel","pid":42,"comm":"zero-hog","right":true,"freed_ms":12}],"guard_cpu_ms":1.5,'
          b'"guard_peak_rss_kb":4096,"guard_longest_d_ms":0,"guard_d_wchan":"","guard_blocked":false,"error":"",'
          b'"guard_tail":["a"]}]}\n')
    write("report", "verdict",
          b'{"schema":"oomlab.verdict/1","verdict":"allocation_stall","title":"t","input":{"suppressed":'
          b'[{"who":"oomlab-watchdog","lines":111}],"watchdog_log":{"name":"w","lines":3,"duplicates":0}},'
          b'"findings":[{"class":"allocation_stall","title":"t"}]}\n')

    # The watchdog's control-socket status as a running daemon sent it.
    write("report", "watchdog-status", read(os.path.join(ROOT, "tests/formats/fixtures/watchdog-status.json")))
    # The peers bench's guard record as `wrap` wrote it around earlyoom.
    write("report", "earlyoom.guard", read(os.path.join(ROOT, "tests/formats/fixtures/earlyoom.guard.json")))

    # serial: the VM fixtures (cut) and a synthetic stream with every marker.
    for p in files(os.path.join(ROOT, "tests/fixtures/vm")):
        write("serial", os.path.basename(p), cut(read(p), 8192))
    write("serial", "markers",
          b"[    0.000000] Linux version 6.1.0-56-amd64\r\n"
          b"OOMLAB-VM: booted kernel=6.1.0-56-amd64 uptime=2.94\n"
          b"[    3.100000] oomlab-repro[70]: start\n"
          b"OOMLAB-VM: file begin guest-report.json\n{\"timeline\": []}\n\nOOMLAB-VM: file end\n"
          b"OOMLAB-VM: report begin\n{\"outcome\": \"oom_resolved\"}\nOOMLAB-VM: report end\n"
          b"OOMLAB-VM: exit code=3\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
