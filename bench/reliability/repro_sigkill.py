#!/usr/bin/env python3
"""SIGKILL oomlab-repro at random moments and count what it leaves behind.

Each run starts `oomlab-repro run SCENARIO --limit 64M --duration 4s
--stall-threshold 1s` (every second run with --watchdog) and picks its
moment: runs 1, 5, 9, ... a random 0-0.5 s after the start (set-up: before
or while its cgroup is made), runs 3, 7, ... 3-4.5 s after its cgroup
appears (around the end of the workload and the teardown), the others a
random 0-1 s after its cgroup appears (the workload's life). A fixed 0-4.5 s
after the start missed the group whenever a scenario ended early or the
machine was slow: a fresh clone's CI had 2 of 6 runs with a group. It sends SIGKILL to the runner only, and then gives
the guardian (cgroups/src/guardian.cpp) up to 10 s to clean up. Left over
after that, per run:
  cgroups    groups named repro-<runner pid>-* in any hierarchy
  processes  the runner's descendants seen just before the kill (pid and
             start time, so a reused pid is not counted) still alive, and
             any task still in the run's groups
  mounts     /proc/self/mountinfo lines whose type or source names oomlab, not there
             before the run (scenario mounts live in private namespaces)
Other jobs may run on the machine: only what descends from or belongs to
each run is counted.

usage: repro_sigkill.py [--runs N] [--bin DIR] [--seed S]   (root)
Exit 0 when nothing was left behind, 1 otherwise, 2 on a usage error, 77
(ctest's skip) when the machine cannot run it (not root, no memory cgroup).
"""
import argparse
import glob
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

SCENARIOS = ["mmap-lock-hold", "mmap-sem", "shmem-fill", "pipe-fill", "page-cache-thrash", "dying-competition"]


def stat_of(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read().decode("latin-1")
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "start": int(rest[19])}


def descendants(root):
    """(pid, starttime) of every live descendant of root, root included."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat_of(int(d))
            if st:
                children.setdefault(st["ppid"], []).append((int(d), st["start"]))
    out, todo = [], [root]
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        st = stat_of(p)
        if st:
            out.append((p, st["start"]))
        todo.extend(c for c, _ in children.get(p, []))
    return out


def group_dirs(runner):
    pats = []
    for root in glob.glob("/sys/fs/cgroup/*/oomlab") + glob.glob("/sys/fs/cgroup/oomlab"):
        pats += glob.glob(f"{root}/repro-{runner}-*")
    return sorted(set(pats))


def tasks_in(dirs):
    tasks = set()
    for d in dirs:
        for name in ("cgroup.procs", "tasks"):
            try:
                with open(os.path.join(d, name)) as f:
                    tasks.update(int(x) for x in f.read().split())
            except OSError:
                pass
    return tasks


def oomlab_mounts():
    """Mounts made by oomlab: its file systems name themselves (source
    "oomlab-slow", type fuse.oomlab-slow; the test helpers' "oomlab-test").
    A path naming oomlab is not enough: a checkout in /tmp/oomlab-fresh-check.*
    building a VM root has proc/sys/dev mounts there."""
    out = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            head, _, tail = line.partition(" - ")
            fstype, source = (tail.split(" ") + ["", ""])[:2]
            if "oomlab" in fstype or "oomlab" in source:
                out.add(head.split(" ", 4)[4])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../build/ci/bin"))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    repro = os.path.join(a.bin, "oomlab-repro")
    if os.geteuid() != 0:
        print("repro_sigkill: skipped: needs root (memory cgroups)")
        return 77
    if not (glob.glob("/sys/fs/cgroup/memory") or os.path.exists("/sys/fs/cgroup/cgroup.controllers")):
        print("repro_sigkill: skipped: no memory cgroup hierarchy")
        return 77
    if not os.access(repro, os.X_OK):
        print(f"repro_sigkill: {repro}: not found (build first)", file=sys.stderr)
        return 2
    rng = random.Random(a.seed)
    print(f"seed {a.seed}, {a.runs} runs, {repro}")
    out = tempfile.mkdtemp(prefix="oomlab-sigkill-")
    totals = {"cgroups": 0, "processes": 0, "mounts": 0, "live_group": 0, "had_children": 0, "aimed": 0}
    try:
        for run in range(a.runs):
            sc = SCENARIOS[rng.randrange(len(SCENARIOS))]
            watchdog = run % 2 == 1
            setup_race, teardown_race = run % 4 == 0, run % 4 == 2
            delay = rng.uniform(0, 0.5) if setup_race else rng.uniform(3.0, 4.5) if teardown_race else rng.uniform(0, 1.0)
            before_mounts = oomlab_mounts()
            cmd = [repro, "run", sc, "--limit", "64M", "--duration", "4s", "--stall-threshold", "1s", "--out", out]
            if watchdog:
                cmd.append("--watchdog")
            started = time.monotonic()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not setup_race:
                deadline = started + 30
                while not group_dirs(p.pid) and p.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
            time.sleep(delay)
            delay = time.monotonic() - started
            tree = descendants(p.pid)
            groups_at_kill = group_dirs(p.pid)
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            left_groups, left_procs, left_mounts = [], [], set()
            deadline = time.monotonic() + 10
            while True:
                left_groups = group_dirs(p.pid)
                alive = [pid for pid, start in tree
                         if pid != p.pid and (st := stat_of(pid)) and st["start"] == start and st["state"] not in "ZX"]
                left_procs = sorted(set(alive) | tasks_in(left_groups))
                left_mounts = oomlab_mounts() - before_mounts
                if (not left_groups and not left_procs and not left_mounts) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            totals["cgroups"] += len(left_groups)
            totals["processes"] += len(left_procs)
            totals["mounts"] += len(left_mounts)
            totals["live_group"] += bool(groups_at_kill)
            totals["aimed"] += not (setup_race or teardown_race)
            totals["had_children"] += len(tree) > 1
            status = "clean" if not (left_groups or left_procs or left_mounts) else \
                f"LEFT cgroups={left_groups} processes={left_procs} mounts={sorted(left_mounts)}"
            print(f"run {run + 1:3d} {sc:18s} watchdog={'y' if watchdog else 'n'} "
                  f"{'set-up' if setup_race else 'teardown' if teardown_race else 'in-run'} kill at {delay:4.2f}s "
                  f"tree={len(tree)} groups={len(groups_at_kill)}: {status}", flush=True)
    finally:
        subprocess.run(["rm", "-rf", out])
    print(f"summary: {a.runs} runs, {totals['live_group']} killed with a live group, "
          f"{totals['had_children']} with children; left behind: {totals['cgroups']} cgroups, "
          f"{totals['processes']} processes, {totals['mounts']} mounts")
    # A run killed before it made its group tests nothing: most must have one
    # (a usage error in the command line made every run vacuous once).
    if totals["live_group"] < (totals["aimed"] + 1) // 2:
        print(f"repro_sigkill: only {totals['live_group']} of the {totals['aimed']} runs aimed at a live group "
              "had one when killed: not a test")
        return 1
    return 0 if totals["cgroups"] == totals["processes"] == totals["mounts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
