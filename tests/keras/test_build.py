"""``archc build`` end to end, its all-or-nothing writing, its exit codes, and E700 (Keras rejected a layer).

The end-to-end test runs the command line and then loads the model in a separate Python that imports only Keras
(no archc, no custom objects). The other tests call ``cli.main`` in-process, where Keras can be made to fail on
purpose (monkeypatching) at each stage of a build.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import archcompiler
from archcompiler import cli
from archcompiler.backends import build as build_mod
from archcompiler.backends.dot import GraphvizMissing
from archcompiler.diagnostics import CompileError

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = pytest.mark.keras

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
ARCHC = [sys.executable, "-m", "archcompiler.cli"]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
HAVE_DOT = shutil.which("dot") is not None


@pytest.fixture(autouse=True)
def _fresh_keras() -> Iterator[None]:
    yield
    keras.backend.clear_session()
    gc.collect()


def snapshot(d: Path) -> dict[str, str]:
    """Every file of ``d`` (hidden temporaries included) with a hash of its content."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<directory>"
            for p in sorted(d.iterdir())}


# ---------------------------------------------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------------------------------------------

LOAD = """
import sys, json, numpy as np, keras
m = keras.models.load_model(sys.argv[1])
m.summary()
np.save(sys.argv[3], m.predict(np.load(sys.argv[2]), verbose=0))
print(json.dumps({"params": m.count_params(), "layers": len(m.layers), "name": m.name,
                  "compiled": m.compiled, "loss": m.loss}))
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
    assert info == {"params": 23_600_006, "layers": 177, "name": "resnet50_signs", "compiled": True,
                    "loss": "categorical_crossentropy"}
    assert "res5c_branch2c" in r.stdout  # the summary ran
    built = comp.to_keras()
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), built.predict(x, verbose=0))


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


def test_training_settings_keras_does_not_know_are_e700() -> None:
    good = archcompiler.compile_text(BLOCKY, "blocky.yaml").to_keras()
    assert type(good.optimizer).__name__ == "AdamW" and float(good.optimizer.weight_decay) == pytest.approx(0.01)
    # names are checked statically; the optimizer's arguments and the metric names only by Keras
    for old, new, where, line in [
            ("adamw: {weight_decay: 0.01}", "adamw: {weight_decay: 0.01, learning_rat: 0.1}", "optimizer", 18),
            ("loss: mse", "loss: mse\n  metrics: [accuracy, mae, no_such_metric]", "metrics", 20)]:
        comp = archcompiler.compile_text(BLOCKY.replace(old, new), "blocky.yaml")
        with pytest.raises(CompileError) as info:
            comp.to_keras()
        (d,) = info.value.diagnostics
        assert d.code == "E700" and d.message.startswith(f"training.{where}:"), d.message
        assert d.span is not None and d.span.line == line, (d.span, d.message)
        assert not comp.to_keras(compile=False).compiled


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
