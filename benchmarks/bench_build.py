"""How much building a Keras model through archc costs next to writing the same model in Keras by hand.

For each network, two ways to get the same ``keras.Model``:

* archc: ``archcompiler.load(spec).to_keras()`` (parse, validate, expand, infer, count, then the Keras backend);
* by hand: the equivalent Keras code; for the ``specs/keras_applications`` specs that is
  ``keras.applications.<Model>(weights=None)``, for ``specs/vgg16.yaml`` ``keras.applications.VGG16(weights=None)``
  (the same layers and names).

Two measurements, each the median of several runs, the two ways alternating so that drift hits both alike:

* whole process: ``python -c "..."`` from a cold start (interpreter, imports of archc and TensorFlow, build),
  wall time, median and fastest run (a cold start varies by a few hundred milliseconds from run to run, more than
  archc's share, so the fastest run is given too), and how long archc's own imports and compilation took inside
  its processes (the only work the archc variant does that the other does not);
* build only: in one process with everything imported, the build itself (``keras.backend.clear_session()`` and a
  garbage collection before each run, outside the timing).

It also times ``archc validate`` on every spec (the static checks, no TensorFlow) and ``archc build`` end to end.
Prints Markdown (a machine description and tables) on standard output::

    .venv/bin/python benchmarks/bench_build.py            # defaults: 9 cold runs, 7 in-process runs
    .venv/bin/python benchmarks/bench_build.py --cold 3 --warm 5 --models resnet50
"""

from __future__ import annotations

import argparse
import gc
import glob
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
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

#: name -> (spec, expression building the hand-written equivalent with ``keras`` imported)
MODELS: dict[str, tuple[str, str]] = {
    "resnet50": ("specs/keras_applications/resnet50.yaml", "keras.applications.ResNet50(weights=None)"),
    "resnet50v2": ("specs/keras_applications/resnet50v2.yaml", "keras.applications.ResNet50V2(weights=None)"),
    "resnet152": ("specs/keras_applications/resnet152.yaml", "keras.applications.ResNet152(weights=None)"),
    "vgg16": ("specs/vgg16.yaml", "keras.applications.VGG16(weights=None)"),
}


def archc_code(spec: str) -> str:
    """The archc variant; prints the seconds spent importing archc and compiling the spec (before Keras)."""
    return ("import time; t0 = time.perf_counter(); import archcompiler; "
            f"c = archcompiler.load({str(ROOT / spec)!r}); print(time.perf_counter() - t0); c.to_keras()")


def keras_code(expr: str) -> str:
    return f"import keras; {expr}"


def run_cold(code: str) -> tuple[float, str]:
    """Wall seconds of one cold process, and what it printed."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0, r.stdout


def cold(spec: str, expr: str, n: int) -> dict[str, float]:
    """Whole-process seconds, runs alternating: medians and minimums of both variants, and the median time archc
    spent on its own imports and the spec's compilation inside its processes."""
    a, b, own = [], [], []
    for _ in range(n):
        wall, out = run_cold(archc_code(spec))
        a.append(wall)
        own.append(float(out.split()[0]))
        b.append(run_cold(keras_code(expr))[0])
    return {"archc": statistics.median(a), "keras": statistics.median(b), "archc_min": min(a), "keras_min": min(b),
            "own": statistics.median(own)}


def warm(spec: str, expr: str, n: int) -> tuple[float, float, float]:
    """Median in-process seconds (archc, by hand) and the static part of archc's (load + compile, no Keras)."""
    import keras

    import archcompiler

    def timed(fn: object) -> float:
        keras.backend.clear_session()
        gc.collect()
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        return time.perf_counter() - t0

    path = str(ROOT / spec)
    timed(lambda: archcompiler.load(path).to_keras())  # warm-up: first-call costs of both
    timed(lambda: eval(expr, {"keras": keras}))
    a, b, s = [], [], []
    for _ in range(n):
        a.append(timed(lambda: archcompiler.load(path).to_keras()))
        b.append(timed(lambda: eval(expr, {"keras": keras})))
        s.append(timed(lambda: archcompiler.load(path)))
    keras.backend.clear_session()
    return statistics.median(a), statistics.median(b), statistics.median(s)


def validate_all(n: int) -> tuple[int, float, float]:
    """(number of specs, archc's own reported milliseconds, whole-process milliseconds), medians."""
    specs = sorted(p for p in glob.glob(str(ROOT / "specs" / "**" / "*.*"), recursive=True)
                   if p.endswith((".yaml", ".yml", ".json")) and "/lib/" not in p)
    archc = [sys.executable, "-m", "archcompiler.cli", "validate", "--format", "json", *specs]
    inner, outer = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        r = subprocess.run(archc, capture_output=True, text=True, cwd=ROOT)
        outer.append((time.perf_counter() - t0) * 1000)
        inner.append(json.loads(r.stdout)["milliseconds"])
    return len(specs), statistics.median(inner), statistics.median(outer)


def build_cli(spec: str, n: int) -> float:
    """Median seconds of ``archc build SPEC -o TMP`` (model, summaries and diagram written)."""
    times = []
    for _ in range(n):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "archcompiler.cli", "build", str(ROOT / spec), "-o", out],
                           check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = subprocess.run([sys.executable, "-c", "import tensorflow as tf, keras; "
                               "print(tf.__version__, keras.__version__)"], capture_output=True, text=True,
                              env=ENV).stdout.split()
    tf_v, keras_v = (versions + ["?", "?"])[:2]
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical CPUs; "
            f"Python {platform.python_version()}, TensorFlow {tf_v} (CPU), Keras {keras_v}")


def pct(a: float, b: float) -> str:
    return f"{(a / b - 1) * 100:+.1f}%"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cold", type=int, default=9, help="whole-process runs per variant (default 9)")
    p.add_argument("--warm", type=int, default=7, help="in-process runs per variant (default 7)")
    p.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    args = p.parse_args()

    print(f"Machine: {machine()}\n")
    print(f"Command: `{os.path.relpath(sys.executable, ROOT)} benchmarks/bench_build.py --cold {args.cold} "
          f"--warm {args.warm}`"
          f" (medians of {args.cold} cold processes and {args.warm} in-process builds)\n")
    print("| model | process, median: archc | by hand | overhead | process, fastest: archc | by hand | overhead "
          "| archc's import + compile in its process | build only, median: archc | by hand | overhead "
          "| of which archc's compile |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        spec, expr = MODELS[name]
        c = cold(spec, expr, args.cold)
        wa, wb, ws = warm(spec, expr, args.warm)
        print(f"| {name} (`{expr.split('(')[0]}`) | {c['archc']:.2f} s | {c['keras']:.2f} s "
              f"| {pct(c['archc'], c['keras'])} | {c['archc_min']:.2f} s | {c['keras_min']:.2f} s "
              f"| {pct(c['archc_min'], c['keras_min'])} | {c['own'] * 1000:.0f} ms | {wa * 1000:.0f} ms "
              f"| {wb * 1000:.0f} ms | {pct(wa, wb)} | {ws * 1000:.1f} ms |", flush=True)
    n, inner, outer = validate_all(max(3, args.cold))
    print(f"\n`archc validate` on the {n} specs outside specs/lib: {inner:.0f} ms as archc reports it (load, check, "
          f"expand, infer, count every file), {outer:.0f} ms for the whole process (median of {max(3, args.cold)}).")
    t = build_cli("specs/resnet50_signs.yaml", max(3, args.cold // 2))
    print(f"\n`archc build specs/resnet50_signs.yaml -o DIR` (model saved, both summaries, diagram): {t:.2f} s "
          f"for the whole process.")


if __name__ == "__main__":
    main()
