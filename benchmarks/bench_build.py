"""How much building a Keras model through archc costs next to writing the same model in Keras by hand.

For each network, two ways to get the same ``keras.Model``:

* archc: ``archcompiler.load(spec).to_keras()`` (parse, validate, expand, infer, count, then the Keras backend);
* by hand: the equivalent Keras code; for the ``specs/keras_applications`` specs that is
  ``keras.applications.<Model>(weights=None)``, for ``specs/vgg16.yaml`` ``keras.applications.VGG16(weights=None)``
  (the same layers and names).

The *compiled* rows (``resnet50-adam``, ``vgg16-sgd``) add a ``training:`` section to the spec's text, so that
``to_keras()`` returns a compiled model, and the hand-written variant calls ``model.compile(...)`` with the same
optimizer, loss and metrics.

Two measurements, each the median of several runs, the two ways alternating so that drift hits both alike:

* whole process: ``python -c "..."`` from a cold start (interpreter, imports of archc and TensorFlow, build),
  wall time, median and fastest run (a cold start varies by a few hundred milliseconds from run to run, more than
  archc's share, so the fastest run is given too), and how long archc's own imports and compilation took inside
  its processes (the only work the archc variant does that the other does not);
* build only: in one process with everything imported, the build itself (``keras.backend.clear_session()`` and a
  garbage collection before each run, outside the timing).

It also times ``archc validate`` on every spec (the static checks, no TensorFlow) and ``archc build`` end to end,
and compares the ``.keras`` file ``archc build`` writes for ``specs/resnet50_signs.yaml`` (compiled, untrained)
with what ``model.save`` writes for the same model compiled by hand: sizes, and the time of the save alone.
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

#: training settings: name -> (the spec's ``training:`` section, the same as ``model.compile`` arguments)
TRAINING: dict[str, tuple[str, str]] = {
    "adam": ("training:\n  optimizer: adam\n  loss: categorical_crossentropy\n  metrics: [accuracy]\n",
             "optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy']"),
    "sgd": ("training:\n  optimizer: {sgd: {learning_rate: 0.01, momentum: 0.9}}\n"
            "  loss: categorical_crossentropy\n  metrics: [accuracy]\n",
            "optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss='categorical_crossentropy', "
            "metrics=['accuracy']"),
}

#: name -> (spec, expression building the hand-written equivalent with ``keras`` imported, training or None)
MODELS: dict[str, tuple[str, str, str | None]] = {
    "resnet50": ("specs/keras_applications/resnet50.yaml", "keras.applications.ResNet50(weights=None)", None),
    "resnet50v2": ("specs/keras_applications/resnet50v2.yaml", "keras.applications.ResNet50V2(weights=None)", None),
    "resnet152": ("specs/keras_applications/resnet152.yaml", "keras.applications.ResNet152(weights=None)", None),
    "vgg16": ("specs/vgg16.yaml", "keras.applications.VGG16(weights=None)", None),
    "resnet50-adam": ("specs/keras_applications/resnet50.yaml", "keras.applications.ResNet50(weights=None)",
                      "adam"),
    "vgg16-sgd": ("specs/vgg16.yaml", "keras.applications.VGG16(weights=None)", "sgd"),
}


def load_expr(spec: str, training: str | None) -> str:
    """The archc expression compiling ``spec`` (with ``archcompiler`` imported), the training section appended."""
    path = ROOT / spec
    if training is None:
        return f"archcompiler.load({str(path)!r})"
    return (f"archcompiler.compile_text(open({str(path)!r}).read() + {TRAINING[training][0]!r}, {str(path)!r}, "
            f"base_dir={str(path.parent)!r})")


def archc_code(spec: str, training: str | None = None) -> str:
    """The archc variant; prints the seconds spent importing archc and compiling the spec (before Keras)."""
    return ("import time; t0 = time.perf_counter(); import archcompiler; "
            f"c = {load_expr(spec, training)}; print(time.perf_counter() - t0); c.to_keras()")


def keras_code(expr: str, training: str | None = None) -> str:
    if training is None:
        return f"import keras; {expr}"
    return f"import keras; m = {expr}; m.compile({TRAINING[training][1]})"


def run_cold(code: str) -> tuple[float, str]:
    """Wall seconds of one cold process, and what it printed."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0, r.stdout


def cold(spec: str, expr: str, n: int, training: str | None = None) -> dict[str, float]:
    """Whole-process seconds, runs alternating: medians and minimums of both variants, and the median time archc
    spent on its own imports and the spec's compilation inside its processes."""
    a, b, own = [], [], []
    for _ in range(n):
        wall, out = run_cold(archc_code(spec, training))
        a.append(wall)
        own.append(float(out.split()[0]))
        b.append(run_cold(keras_code(expr, training))[0])
    return {"archc": statistics.median(a), "keras": statistics.median(b), "archc_min": min(a), "keras_min": min(b),
            "own": statistics.median(own)}


def warm(spec: str, expr: str, n: int, training: str | None = None) -> tuple[float, float, float]:
    """Median in-process seconds (archc, by hand) and the static part of archc's (load + compile, no Keras)."""
    import keras

    import archcompiler

    def timed(fn: object) -> float:
        keras.backend.clear_session()
        gc.collect()
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        return time.perf_counter() - t0

    names = {"keras": keras, "archcompiler": archcompiler}
    load = compile(load_expr(spec, training), "<archc>", "eval")
    by_hand = compile(keras_code(expr, training).split("; ", 1)[1], "<by hand>", "exec")
    timed(lambda: eval(load, names).to_keras())  # warm-up: first-call costs of both
    timed(lambda: exec(by_hand, dict(names)))
    a, b, s = [], [], []
    for _ in range(n):
        a.append(timed(lambda: eval(load, names).to_keras()))
        b.append(timed(lambda: exec(by_hand, dict(names))))
        s.append(timed(lambda: eval(load, names)))
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


def build_cli(spec: str, n: int) -> tuple[float, int]:
    """Median seconds of ``archc build SPEC -o TMP`` (model, summaries and diagram written), and the size in bytes
    of the ``.keras`` file it wrote."""
    times = []
    size = 0
    for _ in range(n):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "archcompiler.cli", "build", str(ROOT / spec), "-o", out],
                           check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
            size = (Path(out) / f"{Path(spec).stem}.keras").stat().st_size
    return statistics.median(times), size


def saves(spec: str, training: str, n: int) -> dict[str, float]:
    """In one process: the median seconds of saving the compiled, untrained model of ``spec`` with archc's
    ``save_model`` and, compiled by hand with the same settings, with Keras's ``model.save``; the files' sizes."""
    import keras

    import archcompiler
    from archcompiler.backends.keras import save_model

    comp = archcompiler.load(ROOT / spec)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as out:
        a, b = Path(out) / "archc.keras", Path(out) / "by_hand.keras"
        for _ in range(n):
            keras.backend.clear_session()
            model = comp.to_keras()
            gc.collect()
            t0 = time.perf_counter()
            save_model(model, a)
            ours.append(time.perf_counter() - t0)
            model = comp.to_keras(compile=False)
            exec(f"model.compile({TRAINING[training][1]})", {"keras": keras, "model": model})
            gc.collect()
            t0 = time.perf_counter()
            model.save(b)
            theirs.append(time.perf_counter() - t0)
        return {"archc": statistics.median(ours), "keras": statistics.median(theirs),
                "archc_size": a.stat().st_size, "keras_size": b.stat().st_size}


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
        spec, expr, training = MODELS[name]
        c = cold(spec, expr, args.cold, training)
        wa, wb, ws = warm(spec, expr, args.warm, training)
        by_hand = expr.split("(")[0] + (" + compile" if training else "")
        print(f"| {name} (`{by_hand}`) | {c['archc']:.2f} s | {c['keras']:.2f} s "
              f"| {pct(c['archc'], c['keras'])} | {c['archc_min']:.2f} s | {c['keras_min']:.2f} s "
              f"| {pct(c['archc_min'], c['keras_min'])} | {c['own'] * 1000:.0f} ms | {wa * 1000:.0f} ms "
              f"| {wb * 1000:.0f} ms | {pct(wa, wb)} | {ws * 1000:.1f} ms |", flush=True)
    n, inner, outer = validate_all(max(3, args.cold))
    print(f"\n`archc validate` on the {n} specs outside specs/lib: {inner:.0f} ms as archc reports it (load, check, "
          f"expand, infer, count every file), {outer:.0f} ms for the whole process (median of {max(3, args.cold)}).")
    t, size = build_cli("specs/resnet50_signs.yaml", max(3, args.cold // 2))
    print(f"\n`archc build specs/resnet50_signs.yaml -o DIR` (model saved, both summaries, diagram): {t:.2f} s "
          f"for the whole process; the `.keras` file has {size:,} bytes.")
    s = saves("specs/resnet50_signs.yaml", "adam", max(3, args.warm // 2))
    print(f"\nSaving the compiled, untrained model of specs/resnet50_signs.yaml (Adam): archc's `save_model` "
          f"{s['archc']:.2f} s, {s['archc_size']:,} bytes; compiled by hand and saved with `model.save` "
          f"{s['keras']:.2f} s, {s['keras_size']:,} bytes ({pct(s['archc_size'], s['keras_size'])}; "
          f"median of {max(3, args.warm // 2)}).")


if __name__ == "__main__":
    main()
