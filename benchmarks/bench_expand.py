"""How expansion and shape inference grow with the network: 1,000, 10,000 and 50,000 layers.

Each network is a chain of ``Dense: 8`` layers after an 8-wide input, written three ways: a plain list of entries, a
``repeat`` loop and a ``for`` loop over ``range(...)``. N layers are the input and N - 1 Dense layers (layers are
counted with the input, as ``expect.layers`` and ``expand.MAX_LAYERS`` count them, so the 50,000-layer spec is the
largest one archc accepts). Two figures per spec:

* **expand + infer**: ``expand(spec)`` then ``infer(graph)`` on a spec read just before, as ``run_stages`` runs
  them (one work budget, the cyclic garbage collector paused), with its ratio to the 1,000-layer spec of the same
  form: *first* is the first run in a fresh process, as ``archc validate`` pays it (first uses included: caches
  filled, validators built), the median over ``--repeat`` processes; *warm* is the median of three more runs in
  each of those processes, the median over them;
* **validate**: ``archc validate -q SPEC`` as a whole process (interpreter start, imports, reading, checking,
  expanding, inferring and counting), median of ``--runs`` runs, the specs alternating; ``python -c pass`` for
  comparison.

    .venv/bin/python benchmarks/bench_expand.py            # Markdown table (docs/performance.md)
    .venv/bin/python benchmarks/bench_expand.py --json     # the same figures as JSON
    .venv/bin/python benchmarks/bench_expand.py --repeat 3 --runs 3    # a shorter run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Timed runs of expand + infer in one process: the first and the median of three more, in seconds (the spec's
#: path is the first argument, its number of layers the second).
TIMED = """
import sys, time
from archcompiler.expand import expand
from archcompiler.expressions import work_budget
from archcompiler.infer import infer
from archcompiler.load import resolve_file
from archcompiler.pipeline import collector_paused
spec = resolve_file(sys.argv[1])
times = []
for _ in range(4):
    t0 = time.perf_counter()
    with work_budget(), collector_paused():
        graph = expand(spec)
        infer(graph, spec.sources)
    times.append(time.perf_counter() - t0)
    assert len(graph.nodes) == int(sys.argv[2])
    del graph
print(times[0], sorted(times[1:])[1])
"""

SIZES = (1_000, 10_000, 50_000)
FORMS = ("list", "repeat", "for")
HEAD = "archspec: 1\nmodel:\n  inputs:\n    x: {shape: [8]}\n  layers:\n"


def spec_text(form: str, layers: int) -> str:
    """A chain of ``layers`` layers (the input included) written as ``form``."""
    dense = layers - 1
    if form == "list":
        return HEAD + "    - Dense: 8\n" * dense
    if form == "repeat":
        return HEAD + f"    - repeat: {dense}\n      layers:\n        - Dense: 8\n"
    return HEAD + f"    - for: i\n      in: ${{range({dense})}}\n      layers:\n        - Dense: 8\n"


def run(argv: list[str]) -> tuple[float, str]:
    """Wall-clock seconds of a whole process, and what it printed."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout[-1000:]}{r.stderr[-2000:]}")
    return dt, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="processes timing expand + infer for each spec (default 7)")
    ap.add_argument("--runs", type=int, default=5, help="whole-process runs of each spec (default 5)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = ap.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="archc-bench-") as tmp:
        files = {}
        for form in FORMS:
            for n in SIZES:
                files[form, n] = Path(tmp) / f"{form}-{n}.yaml"
                files[form, n].write_text(spec_text(form, n), encoding="utf-8")
        inproc: dict = {key: [] for key in files}
        procs: dict = {key: [] for key in files}
        procs["pass"] = []
        for i in range(max(args.repeat, args.runs)):  # alternate, so that drift in the machine's speed hits all alike
            if i < args.runs:
                procs["pass"].append(run([sys.executable, "-c", "pass"])[0])
            for (form, n), path in files.items():
                if i < args.repeat:
                    first, warm = run([sys.executable, "-c", TIMED, str(path), str(n)])[1].split()
                    inproc[form, n].append((float(first), float(warm)))
                if i < args.runs:
                    procs[form, n].append(run([sys.executable, "-m", "archcompiler.cli", "validate", "-q",
                                               str(path)])[0])
    load_after = os.getloadavg()[0]

    rows = []
    for form in FORMS:
        first0 = statistics.median(f for f, _ in inproc[form, SIZES[0]])
        warm0 = statistics.median(w for _, w in inproc[form, SIZES[0]])
        for n in SIZES:
            first = statistics.median(f for f, _ in inproc[form, n])
            warm = statistics.median(w for _, w in inproc[form, n])
            rows.append({"form": form, "layers": n, "first_ms": round(first * 1000, 1),
                         "first_ratio": round(first / first0, 2), "warm_ms": round(warm * 1000, 1),
                         "warm_ratio": round(warm / warm0, 2), "warm_us_per_layer": round(warm / n * 1e6, 1),
                         "validate_s": round(statistics.median(procs[form, n]), 3),
                         "validate_fastest_s": round(min(procs[form, n]), 3)})
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
               "repeat": args.repeat, "runs": args.runs, "load_average": [round(load_before, 2), round(load_after, 2)],
               "python_c_pass_s": round(statistics.median(procs["pass"]), 3)}
    if args.json:
        print(json.dumps({"machine": machine, "rows": rows}, indent=2))
        return
    print(f"Python {machine['python']}, {machine['machine']}, {machine['cpus']} CPUs; expand + infer: medians over "
          f"{args.repeat} processes; validate: median and fastest of {args.runs} whole processes "
          f"(`python -c pass`: {machine['python_c_pass_s']:.3f} s); load average {load_before:.2f} before, "
          f"{load_after:.2f} after\n")
    print("| spec | layers | expand + infer, first | ratio to 1,000 | warm | ratio to 1,000 | warm, per layer | "
          "`archc validate`, median | fastest |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print(f"| {r['form']} | {r['layers']:,} | {r['first_ms']:,.1f} ms | {r['first_ratio']:.2f}x | "
              f"{r['warm_ms']:,.1f} ms | {r['warm_ratio']:.2f}x | {r['warm_us_per_layer']:.1f} µs | "
              f"{r['validate_s']:.3f} s | {r['validate_fastest_s']:.3f} s |")


if __name__ == "__main__":
    main()
