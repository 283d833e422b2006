"""Diagram rendering time: archc's DOT generation and Graphviz's layout, per spec and level, with the size of the
diagram (boxes, clusters, edges). The deeper ResNets made with ``--set depths=...`` show how time grows with the
graph.

    .venv/bin/python benchmarks/bench_render.py            # Markdown table (docs/performance.md, "Rendering")
    .venv/bin/python benchmarks/bench_render.py --json     # the same figures as JSON
    .venv/bin/python benchmarks/bench_render.py --quick    # fewer repetitions, the bundled specs only

Times are in milliseconds: medians over repetitions for ``to_dot`` and ``dot -Tsvg``, one run for ``dot -Tpng``
(rasterising dominates it). Each ``dot`` time is the whole run through the graphviz package, process start
included. Without Graphviz's ``dot`` only the DOT generation is measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archcompiler  # noqa: E402
from archcompiler.backends.dot import pipe, plan, to_dot  # noqa: E402

#: (label, spec, --set overrides)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("squeezenet", "specs/squeezenet.yaml", {}),
    ("resnet50_signs", "specs/resnet50_signs.yaml", {}),
    ("resnet101", "specs/keras_applications/resnet101.yaml", {}),
    ("resnet152", "specs/keras_applications/resnet152.yaml", {}),
    ("resnet, 86 blocks", "specs/keras_applications/resnet50.yaml", {"depths": [3, 8, 72, 3]}),
    ("resnet, 158 blocks", "specs/keras_applications/resnet50.yaml", {"depths": [3, 8, 144, 3]}),
]
QUICK = 4

#: (label, to_dot options)
VIEWS: list[tuple[str, dict[str, Any]]] = [
    ("block", {}),
    ("block --fold", {"fold": True}),
    ("layer", {"level": "layer"}),
]


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def measure(repeat: int, quick: bool) -> list[dict[str, Any]]:
    have_dot = shutil.which("dot") is not None
    rows = []
    for label, spec, overrides in CASES[:QUICK] if quick else CASES:
        comp = archcompiler.load(ROOT / spec, overrides or None)
        for view_label, options in VIEWS:
            view = plan(comp, **options)
            gen_ms, text = median_ms(lambda: to_dot(comp, **options), repeat)
            dot_ms = median_ms(lambda: pipe(text, "svg"), max(1, repeat // 2))[0] if have_dot else None
            png_ms, png = median_ms(lambda: pipe(text, "png"), 1) if have_dot else (None, b"")
            width, height = struct.unpack(">II", png[16:24]) if png else (0, 0)
            rows.append({
                "spec": label, "view": view_label, "layers": len(comp.graph.nodes), "boxes": len(view.boxes),
                "clusters": len(view.clusters), "edges": len(view.edges), "columns": len(view.columns),
                "dot_kb": round(len(text.encode("utf-8")) / 1024, 1), "to_dot_ms": round(gen_ms, 1),
                "render_svg_ms": None if dot_ms is None else round(dot_ms, 1),
                "render_png_ms": None if png_ms is None else round(png_ms, 1), "png_px": f"{width}×{height}",
            })
    return rows


def graphviz_version() -> str:
    if shutil.which("dot") is None:
        return "not installed"
    res = subprocess.run(["dot", "-V"], capture_output=True, text=True)
    return (res.stderr or res.stdout).strip()


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| spec | view | layers | boxes | clusters | edges | columns | DOT KB | to_dot ms | dot -Tsvg ms "
           "| dot -Tpng ms | PNG pixels |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        svg = "n/a" if r["render_svg_ms"] is None else f"{r['render_svg_ms']:.0f}"
        png = "n/a" if r["render_png_ms"] is None else f"{r['render_png_ms']:.0f}"
        out.append(f"| {r['spec']} | {r['view']} | {r['layers']} | {r['boxes']} | {r['clusters']} | {r['edges']} "
                   f"| {r['columns']} | {r['dot_kb']} | {r['to_dot_ms']:.1f} | {svg} | {png} | {r['png_px']} |")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="repetitions of each measurement (median kept)")
    ap.add_argument("--quick", action="store_true", help="the bundled specs only, 3 repetitions")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = ap.parse_args()
    repeat = 3 if args.quick else args.repeat
    rows = measure(repeat, args.quick)
    if args.json:
        print(json.dumps({"python": platform.python_version(), "graphviz": graphviz_version(), "rows": rows},
                         indent=2))
    else:
        print(f"Python {platform.python_version()}, {graphviz_version()}, {platform.machine()}, "
              f"median of {repeat} runs\n")
        print(markdown(rows), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
