"""``archc build`` end to end, its all-or-nothing writing, its exit codes, and E700 (Keras rejected a layer).

The end-to-end test runs the command line and then loads the model in a separate Python that imports only Keras
(no archc, no custom objects). The other tests call ``cli.main`` in-process, where Keras can be made to fail on
purpose (monkeypatching) at each stage of a build.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import archcompiler
from archcompiler import cli, training
from archcompiler.backends import build as build_mod
from archcompiler.backends.dot import GraphvizMissing
from archcompiler.diagnostics import CompileError

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
ARCHC = [sys.executable, "-m", "archcompiler.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
HAVE_DOT = shutil.which("dot") is not None



def snapshot(d: Path) -> dict[str, str]:
    """Every file of ``d`` (hidden temporaries included) with a hash of its content."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<directory>"
            for p in sorted(d.iterdir())}


# ---------------------------------------------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------------------------------------------

LOAD = """
import sys, json, logging, os, tempfile, warnings, numpy as np, keras
# TensorFlow's start-up messages come with the import above; what load_model itself says is captured below:
# Python warnings, log records and whatever reaches file descriptor 2.
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger().addHandler(Keep())
logging.getLogger().setLevel(logging.DEBUG)
saved = os.dup(2)
with tempfile.TemporaryFile() as err, warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sys.stderr.flush()
    os.dup2(err.fileno(), 2)
    try:
        m = keras.models.load_model(sys.argv[1])
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
    err.seek(0)
    said = err.read().decode()
m.summary()
np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))
slots = m.optimizer.variables[2:]
print(json.dumps({"params": m.count_params(), "layers": len(m.layers), "name": m.name,
                  "compiled": m.compiled, "loss": m.loss, "warnings": [str(w.message) for w in caught],
                  "logged": records, "stderr": said, "optimizer_variables": len(m.optimizer.variables),
                  "slots_zero": all(not np.any(v.numpy()) for v in slots), "iterations": int(m.optimizer.iterations)}))
"""


def test_build_the_signs_resnet_and_load_it_without_archc(tmp_path: Path) -> None:
    out = tmp_path / "build"
    r = subprocess.run([*ARCHC, "build", str(SPECS / "resnet50_signs.yaml"), "-o", str(out)],
                       capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    stem = out / "resnet50_signs"
    want = [f"{stem}.keras", f"{stem}.summary.txt", f"{stem}.summary.json"] + ([f"{stem}.svg"] if HAVE_DOT else [])
    assert r.stdout.split() == want
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(p).name for p in want)  # no temporaries left
    comp = archcompiler.load(SPECS / "resnet50_signs.yaml")
    assert Path(f"{stem}.summary.txt").read_text() == comp.summary("text")
    assert Path(f"{stem}.summary.json").read_text() == comp.summary("json")
    if HAVE_DOT:
        assert Path(f"{stem}.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert oct(Path(f"{stem}.keras").stat().st_mode & 0o777) != oct(0o600)  # not left private like a temp file

    # a Python without archc loads it; every kernel of this spec is seeded, so a fresh build has the same weights
    x = np.random.default_rng(0).uniform(0, 1, (3, 64, 64, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    r = subprocess.run([sys.executable, "-I", str(script), f"{stem}.keras", str(tmp_path / "x.npy"),
                        str(tmp_path / "y.npy")], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    info = __import__("json").loads(r.stdout.strip().splitlines()[-1])
    # loaded without a word, with the optimizer's state: Adam's moment and velocity for each of the 214 trainable
    # variables after its step counter and learning rate, all zero
    assert info == {"params": 23_600_006, "layers": 177, "name": "resnet50_signs", "compiled": True,
                    "loss": "categorical_crossentropy", "warnings": [], "logged": [], "stderr": "",
                    "optimizer_variables": 2 + 2 * 214, "slots_zero": True, "iterations": 0}
    assert "res5c_branch2c" in r.stdout  # the summary ran
    built = comp.to_keras()
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), built.predict(x, verbose=0))

    # no bigger than Keras's own file of the same compiled, untrained model (which would not load silently)
    by_hand = comp.to_keras(compile=False)
    by_hand.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    by_hand.save(tmp_path / "by_hand.keras")
    ours, theirs = Path(f"{stem}.keras").stat().st_size, (tmp_path / "by_hand.keras").stat().st_size
    assert ours <= 1.05 * theirs, (ours, theirs)


def test_build_writes_into_an_existing_directory_with_a_stem(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "other.txt").write_text("keep me")
    code = cli.main(["build", str(SPECS / "linear_regression.yaml"), "-o", str(tmp_path), "--stem", "lr",
                     "--no-diagram"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lr.keras", "lr.summary.json", "lr.summary.txt",
                                                           "other.txt"]
    assert (tmp_path / "other.txt").read_text() == "keep me"
    m = keras.models.load_model(tmp_path / "lr.keras")
    assert m.count_params() == 2 and type(m.optimizer).__name__ == "SGD"


def test_build_api_returns_paths_and_warnings(tmp_path: Path, monkeypatch: Any) -> None:
    from archcompiler.backends import dot

    def no_graphviz(*a: Any, **k: Any) -> Any:
        raise GraphvizMissing("Graphviz's dot program was not found")

    monkeypatch.setattr(dot, "render_file", no_graphviz)
    comp = archcompiler.load(SPECS / "linear_regression.yaml", overrides=None)
    written = build_mod.build(comp, tmp_path)
    assert written == [tmp_path / "linear_regression.keras", tmp_path / "linear_regression.summary.txt",
                       tmp_path / "linear_regression.summary.json"]
    assert written.warnings == ["diagram skipped: Graphviz's dot program was not found"]
    assert build_mod.default_stem(archcompiler.compile_text((SPECS / "linear_regression.yaml").read_text(),
                                                            "<string>")) == "linear_regression"


def test_missing_graphviz_is_a_warning_not_a_failure(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    from archcompiler.backends import dot

    def no_graphviz(*a: Any, **k: Any) -> Any:
        raise GraphvizMissing("Graphviz's dot program was not found")

    monkeypatch.setattr(dot, "render_file", no_graphviz)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "archc: warning: diagram skipped: Graphviz's dot program was not found" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["happy_model.keras", "happy_model.summary.json",
                                                           "happy_model.summary.txt"]


# ---------------------------------------------------------------------------------------------------------------
# all or nothing
# ---------------------------------------------------------------------------------------------------------------

def test_an_invalid_spec_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((SPECS / "happy_model.yaml").read_text().replace("kernel_size: 7", "kernel_size: 99"))
    out = tmp_path / "out"
    r = subprocess.run([*ARCHC, "build", str(bad), "-o", str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1, r.stderr
    assert "error[E402]" in r.stderr and "bad.yaml:" in r.stderr
    assert not out.exists()
    assert "tensorflow" not in r.stderr.lower()  # failed before TensorFlow was even imported


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An output directory holding the outputs of an earlier, successful build."""
    out = tmp_path / "out"
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 0
    return out, snapshot(out)


class Refused:
    """Stands in for a Keras layer class that rejects its arguments."""

    def __init__(self, **kwargs: Any) -> None:
        raise ValueError("\x1b[1mInvalid value for argument `units`: Keras says no.\x1b[0m")


def test_a_keras_failure_leaves_earlier_outputs_untouched(previous: Any, monkeypatch: Any, capsys: Any) -> None:
    out, before = previous
    capsys.readouterr()
    monkeypatch.setattr(keras.layers, "Dense", Refused)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error[E700]: fc (Dense): Invalid value for argument `units`: Keras says no." in err
    assert "happy_model.yaml:19:7: error[E700]" in err and "- Dense: {units: 1" in err  # the entry, quoted
    assert "Traceback" not in err
    assert snapshot(out) == before


def test_a_diagram_that_cannot_be_written_fails_the_build(previous: Any, monkeypatch: Any, capsys: Any) -> None:
    """Only a missing Graphviz is a warning: any other rendering failure (a full disk...) fails, changing nothing."""
    from archcompiler.backends import dot

    out, before = previous
    capsys.readouterr()

    def disk_full(*a: Any, **k: Any) -> Any:
        raise cli.UsageError("cannot write happy_model.svg: No space left on device")

    monkeypatch.setattr(dot, "render_file", disk_full)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert snapshot(out) == before


def test_an_output_that_cannot_be_replaced_is_exit_2(previous: Any, capsys: Any) -> None:
    out, before = previous
    (out / "happy_model.svg").unlink()
    (out / "happy_model.svg").mkdir()  # a directory where the diagram should go: the final rename fails
    before = snapshot(out)
    capsys.readouterr()
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "archc: error: cannot write" in err and "Traceback" not in err
    assert snapshot(out) == before


def test_the_saved_model_loads_without_warnings(previous: Any) -> None:
    import warnings

    out, _ = previous
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.models.load_model(out / "happy_model.keras")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]


@pytest.mark.parametrize("stage", ["save", "summary", "diagram", "commit"])
def test_an_interrupt_at_any_stage_leaves_earlier_outputs_untouched(previous: Any, monkeypatch: Any, stage: str,
                                                                    capsys: Any) -> None:
    out, before = previous
    from archcompiler.backends import dot

    def interrupt(*a: Any, **k: Any) -> Any:
        raise KeyboardInterrupt

    if stage == "save":
        monkeypatch.setattr(keras.Model, "save", interrupt)
    elif stage == "summary":
        real = archcompiler.Compilation.summary
        monkeypatch.setattr(archcompiler.Compilation, "summary",
                            lambda self, fmt="text", depth=None: interrupt() if fmt == "json" else real(self, fmt))
    elif stage == "diagram":
        monkeypatch.setattr(dot, "render_file", interrupt)
    else:  # the third rename fails: the first two are rolled back
        real_replace, calls = os.replace, []

        def flaky(src: Any, dst: Any) -> None:
            if Path(dst).parent == out and not Path(dst).name.startswith("."):  # a rename onto a final name
                calls.append(dst)
                if len(calls) == 3:
                    raise KeyboardInterrupt
            real_replace(src, dst)

        monkeypatch.setattr(build_mod.os, "replace", flaky)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 130
    assert snapshot(out) == before


def test_a_failed_first_build_leaves_no_files(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(keras.layers, "Dense", Refused)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(archcompiler.Compilation, "summary", lambda *a, **k: 1 / 0)  # fails after the mkdir
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(tmp_path / "new" / "dir")]) == 101
    assert list(tmp_path.iterdir()) == []  # the directories made for the outputs are removed


# ---------------------------------------------------------------------------------------------------------------
# exit codes
# ---------------------------------------------------------------------------------------------------------------

def test_exit_codes(tmp_path: Path, capsys: Any) -> None:
    spec = str(SPECS / "linear_regression.yaml")
    assert cli.main(["build", spec, "-o", str(tmp_path / "ok"), "--no-diagram"]) == 0
    assert cli.main(["build", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "x")]) == 2  # unreadable spec
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["build", spec, "-o", str(blocker)]) == 2  # the output "directory" is a file
    assert cli.main(["build", spec, "-o", str(tmp_path / "x"), "--stem", "a/b"]) == 2
    assert cli.main(["build", str(SPECS / "lib" / "resnet_basic.yaml"), "-o", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "cannot create the output directory" in err and "--stem must be a plain file name" in err
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------------------------------------------------
# E700 from the backend
# ---------------------------------------------------------------------------------------------------------------

BLOCKY = """
archspec: 1
name: blocky
blocks:
  unit:
    params:
      width: {type: int}
    layers:
      - Conv2D: {filters: $width, kernel_size: 3, padding: same}
      - Activation: relu
model:
  inputs:
    x: {shape: [8, 8, 3]}
  layers:
    - unit: {width: 4}
    - unit: {width: 8, name: second}
training:
  optimizer: {adamw: {weight_decay: 0.01}}
  loss: mse
"""


def test_e700_points_at_the_entry_and_the_block_chain(monkeypatch: Any) -> None:
    real = keras.layers.Conv2D

    def conv(**kw: Any) -> Any:
        if kw["filters"] == 8:
            raise ValueError("rejected")
        return real(**kw)

    monkeypatch.setattr(keras.layers, "Conv2D", conv)
    comp = archcompiler.compile_text(BLOCKY, "blocky.yaml")
    with pytest.raises(CompileError) as info:
        comp.to_keras()
    (d,) = info.value.diagnostics
    assert d.code == "E700" and d.message == "conv2d_1 (Conv2D): rejected"
    assert d.span is not None and d.span.line == 9
    assert [f.instance for f in d.chain] == ["second"]
    assert "in block 'unit' (instance 'second')" in info.value.render()


def test_training_settings_are_checked_before_keras_sees_them() -> None:
    good = archcompiler.compile_text(BLOCKY, "blocky.yaml").to_keras()
    assert type(good.optimizer).__name__ == "AdamW" and float(good.optimizer.weight_decay) == pytest.approx(0.01)
    # every optimizer argument and metric name is checked statically, at its line: nothing reaches Keras unchecked
    for old, new, code, line in [
            ("adamw: {weight_decay: 0.01}", "adamw: {weight_decay: 0.01, learning_rat: 0.1}", "E200", 18),
            ("adamw: {weight_decay: 0.01}", "adamw: {learning_rate: {class_name: Dense, config: {units: 1}}}", "E201",
             18),
            ("loss: mse", "loss: mse\n  metrics: [accuracy, mae, no_such_metric]", "E201", 20)]:
        with pytest.raises(CompileError) as info:
            archcompiler.compile_text(BLOCKY.replace(old, new), "blocky.yaml")
        (d,) = info.value.diagnostics
        assert d.code == code and d.span is not None and d.span.line == line, (d.span, d.message)
    sgd = BLOCKY.replace("adamw: {weight_decay: 0.01}", "sgd: {momentum: 0.5, nesterov: true}")
    model = archcompiler.compile_text(sgd, "blocky.yaml").to_keras()
    assert type(model.optimizer).__name__ == "SGD" and float(model.optimizer.momentum) == 0.5
    assert model.optimizer.nesterov is True


TWO_HEADS = """
archspec: 1
name: two_heads
model:
  inputs:
    image: {shape: [16, 16, 3]}
    meta: {shape: [5], dtype: float32}
  layers:
    - Conv2D: {filters: 4, kernel_size: 3, inputs: image}
    - GlobalAveragePooling2D: {id: pooled}
    - Dense: {units: 4, inputs: meta, id: m}
    - Concatenate: {inputs: [pooled, m]}
    - Dense: {units: 3, activation: softmax, id: cls}
    - Dense: {units: 1, inputs: pooled, id: reg, trainable: false}
  outputs: [cls, reg]
"""


def test_several_inputs_and_outputs_build_save_and_load(tmp_path: Path) -> None:
    comp = archcompiler.compile_text(TWO_HEADS, "two_heads.yaml")
    written = build_mod.build(comp, tmp_path, diagram=False)
    model = comp.to_keras()
    assert [t.name for t in model.inputs] == ["image", "meta"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 3), (None, 1)]
    assert not model.get_layer(comp.graph.nodes[-1].name).trainable
    assert kerasutil.split_params(model) == (comp.stats.total.trainable, comp.stats.total.non_trainable)
    loaded = keras.models.load_model(written[0])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(2, 16, 16, 3)).astype("float32"), rng.normal(size=(2, 5)).astype("float32")]
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        assert a.shape == b.shape
    assert kerasutil.split_params(loaded) == kerasutil.split_params(model)


# ---------------------------------------------------------------------------------------------------------------
# the optimizer's state in the saved file
# ---------------------------------------------------------------------------------------------------------------

#: every optimizer a spec may name
OPTIMIZERS = list(training.OPTIMIZERS)

SMALL = """
archspec: 1
name: small
model:
  inputs:
    x: {shape: [6, 6, 2]}
  layers:
    - Conv2D: {filters: 3, kernel_size: 3}
    - BatchNormalization
    - Flatten
    - Dense: {units: 2, activation: softmax}
training:
  optimizer: OPTIMIZER
  loss: categorical_crossentropy
"""


def load_quietly(path: Path) -> tuple[Any, list[str]]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.models.load_model(path)
    return model, [str(w.message) for w in caught]


def initial_state(model: Any) -> list[np.ndarray]:
    """The optimizer variables a real build of a copy of ``model``'s optimizer makes, as arrays."""
    opt = model.optimizer
    twin = type(opt).from_config(opt.get_config())
    twin.build(model.trainable_variables)
    return [np.asarray(v.numpy()) for v in twin.variables]


def slot_storage(path: Path) -> list[tuple[tuple, int]]:
    """(shape, bytes stored) of every optimizer variable in a .keras file, in order."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        g = f["optimizer/vars"]
        return [(g[str(i)].shape, g[str(i)].id.get_storage_size()) for i in range(len(g))]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_optimizer_state_is_saved_without_room_and_loads_silently(tmp_path: Path, name: str) -> None:
    comp = archcompiler.compile_text(SMALL.replace("OPTIMIZER", name), "small.yaml")
    model = comp.to_keras()
    assert model.compiled and not model.optimizer.built  # as Keras's compile() leaves it: slots come with fit
    path = build_mod.build(comp, tmp_path, diagram=False)[0]
    assert not model.optimizer.built  # saving did not build it either
    loaded, said = load_quietly(path)
    assert said == []
    want = initial_state(loaded)
    got = [np.asarray(v.numpy()) for v in loaded.optimizer.variables]
    assert [a.shape for a in got] == [a.shape for a in want]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    # the slots a constant initializes (all of them for these optimizers but Adafactor's placeholders and Nadam's
    # product, saved as values) store nothing
    stored = slot_storage(path)
    assert len(stored) == len(want)
    assert all(size == 0 for shape, size in stored[2:] if shape != ())
    # Keras's own file of the same model: the same size but for the entries' headers, and it warns when loaded
    by_hand = comp.to_keras(compile=False)
    by_hand.compile(optimizer=getattr(keras.optimizers, training.OPTIMIZERS[name].keras_class)(),
                    loss="categorical_crossentropy")
    by_hand.save(tmp_path / "by_hand.keras")
    assert path.stat().st_size - (tmp_path / "by_hand.keras").stat().st_size < 1024 * len(want)
    warned = any("Skipping variable loading for optimizer" in w for w in load_quietly(tmp_path / "by_hand.keras")[1])
    assert warned == (len(want) > 2)  # plain SGD has no slots


def test_a_loaded_model_trains_from_its_saved_state(tmp_path: Path) -> None:
    comp = archcompiler.compile_text(SMALL.replace("OPTIMIZER", "{sgd: {learning_rate: 0.05, momentum: 0.9}}"),
                                     "small.yaml")
    path = build_mod.build(comp, tmp_path, diagram=False)[0]
    loaded, said = load_quietly(path)
    assert said == [] and float(loaded.optimizer.momentum) == pytest.approx(0.9)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6, 6, 2)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 2, 8), 2)
    losses = loaded.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0).history["loss"]
    assert int(loaded.optimizer.iterations) == 5 and losses[-1] < losses[0], losses
    again = tmp_path / "again.keras"
    from archcompiler.backends.keras import save_model

    save_model(loaded, again)  # a trained model: saved as Keras saves it, its state included
    reloaded, said = load_quietly(again)
    assert said == [] and int(reloaded.optimizer.iterations) == 5
    for a, b in zip(reloaded.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_optimizers_it_cannot_describe_are_built_for_real(tmp_path: Path) -> None:
    """Schedule-free AdamW starts its slots from the weights (not a constant), which only a real build knows."""
    from archcompiler.backends.keras import save_model

    model = archcompiler.compile_text(SMALL.replace("OPTIMIZER", "adam"), "small.yaml").to_keras(compile=False)
    model.compile(optimizer=keras.optimizers.ScheduleFreeAdamW(), loss="categorical_crossentropy")
    save_model(model, tmp_path / "m.keras")
    loaded, said = load_quietly(tmp_path / "m.keras")
    assert said == []
    momentums = [v for v in loaded.optimizer.variables if v.name.endswith("_momentum")]
    assert momentums and any(np.any(v.numpy()) for v in momentums)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_large_slots_are_stored_in_full(tmp_path: Path, monkeypatch: Any) -> None:
    """Keras refuses to read a dataset over 4 GiB that stores almost nothing; past ALLOCATE_FROM_BYTES a slot's
    storage is allocated (and filled with its initial value)."""
    from archcompiler.backends import keras as backend

    monkeypatch.setattr(backend, "ALLOCATE_FROM_BYTES", 1)
    comp = archcompiler.compile_text(SMALL.replace("OPTIMIZER", "adam"), "small.yaml")
    path = build_mod.build(comp, tmp_path, diagram=False)[0]
    stored = slot_storage(path)
    assert all(size == 4 * int(np.prod(shape)) for shape, size in stored[2:])
    loaded, said = load_quietly(path)
    assert said == [] and not any(np.any(v.numpy()) for v in loaded.optimizer.variables[2:])


def test_a_failure_while_packing_the_model_leaves_earlier_outputs_untouched(previous: Any, monkeypatch: Any,
                                                                            capsys: Any) -> None:
    from archcompiler.backends import keras as backend

    out, before = previous
    capsys.readouterr()

    def disk_full(directory: Path, path: Path) -> None:
        path.write_bytes(b"PK")  # half-written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backend, "_zip_directory", disk_full)
    assert cli.main(["build", str(SPECS / "happy_model.yaml"), "-o", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert snapshot(out) == before  # neither the temporary file nor the saved directory is left


# ---------------------------------------------------------------------------------------------------------------
# TensorFlow's start-up messages
# ---------------------------------------------------------------------------------------------------------------

def quiet_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "ARCHC_TF_LOG")}
    return {**env, **extra}


@pytest.mark.parametrize("extra", [{}, {"TF_CPP_MIN_LOG_LEVEL": "3"}, {"ARCHC_TF_LOG": "0"}])
def test_archc_build_says_nothing_on_stderr(tmp_path: Path, extra: dict[str, str]) -> None:
    r = subprocess.run([*ARCHC, "build", str(SPECS / "happy_model.yaml"), "-o", str(tmp_path), "--no-diagram"],
                       capture_output=True, text=True, env=quiet_env(**extra))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.split() == [str(tmp_path / f"happy_model.{s}") for s in ("keras", "summary.txt", "summary.json")]


def test_to_keras_says_nothing_on_stderr() -> None:
    code = (f"import archcompiler; m = archcompiler.load({str(SPECS / 'happy_model.yaml')!r}).to_keras(); "
            "print(m.name, m.compiled)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=quiet_env())
    assert r.returncode == 0, r.stderr
    assert (r.stdout, r.stderr) == ("happy_model True\n", "")


def _messages(stderr: str) -> list[str]:
    """TensorFlow's messages without their time stamps and thread ids."""
    return [re.sub(r"^([IWEF])\d{4} [\d:.]+ +\d+ ", r"\1 ", line) for line in stderr.splitlines()]


@pytest.mark.parametrize("extra", [{"ARCHC_TF_LOG": "1"}, {"ARCHC_TF_LOG": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
                                   {"TF_CPP_MIN_LOG_LEVEL": "0"}])
def test_the_messages_are_there_for_who_asks(tmp_path: Path, extra: dict[str, str]) -> None:
    """ARCHC_TF_LOG=1 shows what TensorFlow prints by itself; so does a TF_CPP_MIN_LOG_LEVEL the user chose."""
    env = quiet_env(**extra)
    plain = subprocess.run([sys.executable, "-c", "import keras"], capture_output=True, text=True,
                           env={k: v for k, v in env.items() if k != "ARCHC_TF_LOG"})
    if not plain.stderr:
        pytest.skip("TensorFlow prints nothing when imported on this machine")
    r = subprocess.run([*ARCHC, "build", str(SPECS / "happy_model.yaml"), "-o", str(tmp_path), "--no-diagram"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert _messages(r.stderr) == _messages(plain.stderr)


# A stand-in for the keras package: writes to file descriptor 2 the way TensorFlow's C++ code does, then fails
# (FAIL=1) or succeeds.
FAKE_KERAS = r'''
import os
os.write(2, b"a line of no one's\n"
            b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            b"I0000 00:00:1796159585.605469    3989 port.cc:153] oneDNN custom operations are on.\n"
            b"I0000 00:00:1796159585.605470    3989 cpu_feature_guard.cc:227] This binary is optimized.\n"
            b"To enable the following instructions: AVX2 FMA, rebuild TensorFlow.\n"
            b"/somewhere/module.py:3: UserWarning: careful\n"
            b"  warnings.warn('careful')\n"
            b"W0000 00:00:1796159585.605471    3989 cuda_dnn.cc:8579] Unable to register cuDNN factory.\n"
            b"E0000 00:00:1796159585.605472    3989 cuda_blas.cc:1418] Unable to register cuBLAS factory.\n")
if os.environ.get("FAIL") == "1":
    raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")
'''


def run_with_fake_keras(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "fake" / "keras").mkdir(parents=True, exist_ok=True)
    (tmp_path / "fake" / "keras" / "__init__.py").write_text(FAKE_KERAS)
    env = quiet_env(**extra, PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), str(ROOT)]))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=tmp_path)


IMPORT = "from archcompiler.backends.keras import _keras; _keras(); print('imported')"


def test_only_the_chatter_is_dropped(tmp_path: Path) -> None:
    """Records below the level go, with their continuation lines; lines that are not TensorFlow's stay."""
    others = ["a line of no one's", "/somewhere/module.py:3: UserWarning: careful", "  warnings.warn('careful')"]
    warning = "W cuda_dnn.cc:8579] Unable to register cuDNN factory."
    error = "E cuda_blas.cc:1418] Unable to register cuBLAS factory."
    r = run_with_fake_keras(tmp_path, "-c", IMPORT)
    assert r.returncode == 0 and r.stdout == "imported\n", r.stderr
    assert _messages(r.stderr) == [*others, error]
    r = run_with_fake_keras(tmp_path, "-c", IMPORT, TF_CPP_MIN_LOG_LEVEL="1")
    assert _messages(r.stderr) == [*others, warning, error]
    r = run_with_fake_keras(tmp_path, "-c", IMPORT, TF_CPP_MIN_LOG_LEVEL="3")
    assert _messages(r.stderr) == others
    for extra in ({"ARCHC_TF_LOG": "1"}, {"TF_CPP_MIN_LOG_LEVEL": "0"}):
        r = run_with_fake_keras(tmp_path, "-c", IMPORT, **extra)
        assert len(r.stderr.splitlines()) == 9 and "oneDNN" in r.stderr and "To enable" in r.stderr


def test_a_failing_import_shows_everything_it_said(tmp_path: Path) -> None:
    r = run_with_fake_keras(tmp_path, "-c", IMPORT, FAIL="1")
    assert r.returncode == 1
    assert "oneDNN custom operations" in r.stderr and "Unable to register cuBLAS" in r.stderr  # all of it
    assert "ImportError: building Keras models needs TensorFlow and Keras (libtensorflow_framework.so.2" in r.stderr
    spec = str(SPECS / "happy_model.yaml")
    r = run_with_fake_keras(tmp_path, "-m", "archcompiler.cli", "build", spec, "-o", "out", FAIL="1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "oneDNN custom operations" in r.stderr
    assert "archc: error: building Keras models needs TensorFlow and Keras" in r.stderr
    assert "pip install 'archcompiler[keras]'" in r.stderr
    assert not (tmp_path / "out").exists()
