"""Throughput of ``archc validate`` with worker processes (``--jobs``) on many spec files.

Copies of every bundled spec (``specs/``, with its ``lib/`` folder, so that imports resolve) are written into a
temporary directory until there are at least ``--files`` spec files, then ``archc validate -q --jobs N DIR`` runs
as a whole process for each N, alternating, and the median wall time is reported with the files per second. A last
pair of rows times one spec, as a pre-commit hook on one changed file runs it, with and without ``--jobs 1``: a
single file is checked in-process, so both must cost the same.

    .venv/bin/python benchmarks/bench_validate.py                 # Markdown table (docs/performance.md)
    .venv/bin/python benchmarks/bench_validate.py --json          # the same figures as JSON
    .venv/bin/python benchmarks/bench_validate.py --files 200 --repeat 1    # a short run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHC = [sys.executable, "-m", "archcompiler.cli"]
SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def make_tree(target: Path, files: int) -> int:
    """Copies of specs/ into target/copyNNN/ until there are at least ``files`` spec files; returns the count."""
    per_copy = sum(1 for p in (ROOT / "specs").rglob("*") if p.suffix in SPEC_SUFFIXES)
    copies = math.ceil(files / per_copy)
    for i in range(copies):
        shutil.copytree(ROOT / "specs", target / f"copy{i:03}")
    return copies * per_copy


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, all processes) of one archc run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run([*ARCHC, *argv], cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"archc {' '.join(argv)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000, help="spec files to validate (at least; default 1000)")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each (default 5; the median is reported)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = ap.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]

    with tempfile.TemporaryDirectory(prefix="archc-bench-") as tmp:
        n = make_tree(Path(tmp), args.files)
        load_before = os.getloadavg()[0]
        runs: dict[str, list[tuple[float, float]]] = {f"--jobs {j}": [] for j in jobs}
        one = "specs/resnet50_signs.yaml"
        runs[f"one spec ({one})"] = []
        runs[f"one spec ({one}), --jobs 1"] = []
        for _ in range(args.repeat):  # alternate, so that drift in the machine's speed hits every variant alike
            for j in jobs:
                runs[f"--jobs {j}"].append(timed(["validate", "-q", "--jobs", str(j), tmp]))
            runs[f"one spec ({one})"].append(timed(["validate", "-q", one]))
            runs[f"one spec ({one}), --jobs 1"].append(timed(["validate", "-q", "--jobs", "1", one]))
        load_after = os.getloadavg()[0]

    base = statistics.median(w for w, _ in runs[f"--jobs {jobs[0]}"])
    rows = []
    for label, times in runs.items():
        med = statistics.median(w for w, _ in times)
        files = n if label.startswith("--jobs") else 1
        rows.append({"run": label, "files": files, "median_s": round(med, 3),
                     "fastest_s": round(min(w for w, _ in times), 3),
                     "cpu_s": round(statistics.median(c for _, c in times), 3), "files_per_s": round(files / med, 1),
                     "speedup": round(base / med, 2) if label.startswith("--jobs") else None})
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
               "repeat": args.repeat, "load_average": [round(load_before, 2), round(load_after, 2)]}
    if args.json:
        print(json.dumps({"machine": machine, "rows": rows}, indent=2))
        return
    print(f"Python {machine['python']}, {machine['machine']}, {machine['cpus']} CPUs; median of "
          f"{args.repeat} whole-process runs; load average {load_before:.2f} before, {load_after:.2f} after\n")
    print("| run | spec files | median | fastest | CPU time (median) | files/s | speed-up |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        speedup = f"{r['speedup']:.2f}x" if r["speedup"] is not None else ""
        print(f"| {r['run']} | {r['files']:,} | {r['median_s']:.3f} s | {r['fastest_s']:.3f} s | "
              f"{r['cpu_s']:.3f} s | {r['files_per_s']:,.1f} | {speedup} |")


if __name__ == "__main__":
    main()
