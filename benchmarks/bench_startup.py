"""Start-up: what a whole ``archc`` process costs before and around its work, against ``python -c pass``.

Each row is a whole process, run ``--repeat`` times alternating with the others; the best (least) wall-clock and CPU
time is reported, as the least disturbed by the rest of the machine. Bytecode is cached first (in a temporary
``PYTHONPYCACHEPREFIX``, as an installed package has it), so that no row compiles Python source.

Rows: the interpreter alone; importing archc's dependencies (pydantic with its validators built once, PyYAML: the
floor under any archc command); importing archc; ``archc summary`` of ResNet-152 (517 layers, the figure the start-up
goal is about: at most 0.15 s), of a spec with a ``training:`` section and, with the example layer plugin
installed, of a spec using its types (the only row that reads the installed packages' entry points). A last row measures, in one process, what
one more layer type adds to the import (a copy of Conv2D's arguments model; its schema is built on first use), so
that start-up stays flat as the registry grows.

    .venv/bin/python benchmarks/bench_startup.py              # Markdown table (docs/performance.md)
    .venv/bin/python benchmarks/bench_startup.py --json       # the same figures as JSON
    .venv/bin/python benchmarks/bench_startup.py --repeat 3   # a short run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ARCHC = [PY, "-m", "archcompiler.cli"]
GOAL = 0.15  # seconds, whole process, archc summary of ResNet-152

DEPENDENCIES = ("import yaml; from pydantic import BaseModel\n"
                "class A(BaseModel):\n    x: int\nA(x=1)")

ROWS: list[tuple[str, list[str]]] = [
    ("python -c pass", [PY, "-c", "pass"]),
    ("import pydantic (one model built) and yaml", [PY, "-c", DEPENDENCIES]),
    ("import archcompiler", [PY, "-c", "import archcompiler"]),
    ("archc summary specs/keras_applications/resnet152.yaml",
     [*ARCHC, "summary", "specs/keras_applications/resnet152.yaml"]),
    ("archc summary specs/happy_model.yaml (training: section)", [*ARCHC, "summary", "specs/happy_model.yaml"]),
]
#: With the example layer plugin installed: a spec that uses plugin types, so that the entry points are read (the
#: rows above never read them).
PLUGIN_SPEC = "plugins/archc-vit-layers/examples/vit_tiny.yaml"
if importlib.util.find_spec("archc_vit_layers") is not None:
    ROWS.append((f"archc summary {PLUGIN_SPEC} (layer plugins read)", [*ARCHC, "summary", PLUGIN_SPEC]))

#: One process: the import cost of ``n`` more layer types, as copies of Conv2D's arguments model.
MORE_TYPES = """
import sys, time
import archcompiler
from archcompiler.layers import REGISTRY
base = REGISTRY["Conv2D"].params
n = int(sys.argv[1])
t0 = time.perf_counter()
for i in range(n):
    type(f"Extra{i}Params", (base,), {"__module__": __name__})
print(time.perf_counter() - t0)
"""


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def per_layer_type(env: dict[str, str], repeat: int, n: int = 40) -> float:
    """Seconds one more layer type adds to the import (the least of ``repeat`` runs of ``n`` types)."""
    runs = []
    for _ in range(repeat):
        r = subprocess.run([PY, "-c", MORE_TYPES, str(n)], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True)
        runs.append(float(r.stdout.strip()) / n)
    return min(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10, help="runs of each row (default 10; the best is reported)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="archc-bench-pyc-") as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache, "PYTHONPATH": str(ROOT)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for _, argv in ROWS:  # write the bytecode once
            timed(argv, env)
        load_before = os.getloadavg()[0]
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in ROWS}
        for _ in range(args.repeat):  # alternate, so that drift in the machine's speed hits every row alike
            for name, argv in ROWS:
                runs[name].append(timed(argv, env))
        extra = per_layer_type(env, max(3, args.repeat // 2))
        load_after = os.getloadavg()[0]

    python = min(w for w, _ in runs["python -c pass"])
    rows = [{"process": name, "wall_s": round(min(w for w, _ in r), 4), "cpu_s": round(min(c for _, c in r), 4),
             "above_python_s": round(min(w for w, _ in r) - python, 4)} for name, r in runs.items()]
    summary = rows[3]["wall_s"]
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "repeat": args.repeat, "load_average": [round(load_before, 2), round(load_after, 2)],
            "goal_s": GOAL, "meets_goal": summary <= GOAL, "per_layer_type_ms": round(extra * 1000, 3)}
    if args.json:
        print(json.dumps({"rows": rows, **info}, indent=2))
        return
    print("| process (best of %d) | wall | CPU | above `python -c pass` |" % args.repeat)
    print("|---|--:|--:|--:|")
    for r in rows:
        print(f"| `{r['process']}` | {r['wall_s'] * 1000:.0f} ms | {r['cpu_s'] * 1000:.0f} ms | "
              f"{r['above_python_s'] * 1000:.0f} ms |")
    print(f"| one more layer type, at import | {extra * 1000:.2f} ms | | |")
    print()
    print(f"Python {info['python']} on {info['machine']}, {info['cpus']} CPUs, load average {load_before:.2f} -> "
          f"{load_after:.2f}. archc summary of ResNet-152: {summary:.3f} s "
          f"({'meets' if info['meets_goal'] else 'above'} the {GOAL} s goal); its dependencies alone take "
          f"{rows[1]['wall_s']:.3f} s.")


if __name__ == "__main__":
    main()
