"""Layer plugins against Keras: the example plugin's types (plugins/archc-vit-layers) have exact shapes, counts and
FLOPs; a spec using them builds, fits, saves as ``.keras``, and the file loads in a fresh process that imports the
plugin's Keras layers but not archc. A plugin whose Keras class cannot be had is E700 at the layer.

Skipped when the example plugin is not installed (``make setup`` installs it).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import archcompiler
from archcompiler import CompileError
from archcompiler.backends.keras import save_model
from archcompiler.layers import REGISTRY, plugins

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
pytest.importorskip("archc_vit_layers", reason="the example plugin is not installed (make setup installs it)")

pytestmark = pytest.mark.keras

ROOT = Path(__file__).resolve().parents[2]
VIT = ROOT / "plugins" / "archc-vit-layers" / "examples" / "vit_tiny.yaml"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    plugins.reset()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield
    plugins.reset()
    keras.backend.clear_session()
    gc.collect()


CASES = [("ClassToken", {}, (5, 8)), ("ClassToken", {"initializer": "glorot_uniform"}, (1, 3)),
         ("ClassToken", {}, (None, 16)), ("AddPositionEmbedding", {}, (5, 8)),
         ("AddPositionEmbedding", {"initializer": {"random_normal": {"stddev": 0.5, "seed": 3}}}, (17, 32))]


@pytest.mark.parametrize("op, args, shape", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_plugin_layer_oracle(op: str, args: dict, shape: tuple) -> None:
    defn = REGISTRY[op]
    params = defn.params.model_validate(args)
    model = kerasutil.one_layer_model(defn, params, [shape])
    layer = model.layers[-1]
    assert type(layer).__module__ == "archc_vit_layers.keras_layers" and type(layer).__name__ == op
    out = defn.infer(params, [shape])
    assert tuple(model.output.shape[1:]) == out
    assert kerasutil.split_params(model) == defn.count_params(params, [shape], out)
    if None not in shape:
        assert kerasutil.profiler_flops(model) == defn.count_flops(params, [shape], out)
    assert defn.count_macs(params, [shape], out) == 0


def test_the_class_token_is_prepended_and_the_embedding_added() -> None:
    token = REGISTRY["ClassToken"]
    model = kerasutil.one_layer_model(token, token.params.model_validate({"initializer": "ones"}), [(3, 4)])
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    y = np.asarray(model.layers[-1](x))
    np.testing.assert_array_equal(y[:, 0], np.ones((2, 4)))
    np.testing.assert_array_equal(y[:, 1:], x)
    pos = REGISTRY["AddPositionEmbedding"]
    model = kerasutil.one_layer_model(pos, pos.params(), [(3, 4)])
    (emb,) = model.layers[-1].get_weights()
    np.testing.assert_allclose(np.asarray(model.layers[-1](x)), x + emb[None], rtol=1e-6)


def test_a_spec_using_the_plugin_builds_fits_and_agrees_with_its_figures() -> None:
    comp = archcompiler.load(VIT)
    model = comp.to_keras()
    total = comp.stats.total
    assert (model.count_params(), *kerasutil.split_params(model)) == (total.total, total.trainable,
                                                                       total.non_trainable) == (19818, 19818, 0)
    assert [layer.name for layer in model.layers] == [n.name for n in comp.graph.nodes]
    assert kerasutil.profiler_flops(model) == total.flops
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, 16)
    losses = model.fit(x, y, batch_size=16, epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0], losses


def test_archc_build_saves_a_model_that_loads_without_archc(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from archcompiler.cli import main

    assert main(["build", str(VIT), "-o", str(tmp_path), "--no-diagram"]) == 0
    path = tmp_path / "vit_tiny.keras"
    assert path.is_file()
    model = keras.models.load_model(path)  # here archc's process has the plugin's Keras module imported
    assert model.count_params() == 19818
    _loads_in_a_process_without_archc(model, path, tmp_path)


def test_the_saved_model_loads_without_archc(tmp_path: Path) -> None:
    comp = archcompiler.load(VIT)
    model = comp.to_keras()
    path = tmp_path / "vit_tiny.keras"
    save_model(model, path)
    _loads_in_a_process_without_archc(model, path, tmp_path)


def _loads_in_a_process_without_archc(model: Any, path: Path, tmp_path: Path) -> None:
    """Loads ``path`` in a fresh process that imports the plugin's Keras layers and not archc, and compares its
    predictions with ``model``'s."""
    x = np.random.default_rng(1).uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.asarray(model(x)))
    code = textwrap.dedent(f"""
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import numpy as np
        import keras
        import archc_vit_layers.keras_layers  # registers the layers
        model = keras.models.load_model({str(path)!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        np.testing.assert_allclose(np.asarray(model(x)), np.load({str(tmp_path / "y.npy")!r}), rtol=1e-5, atol=1e-6)
        print(model.count_params(), type(model.get_layer("class_token")).__name__,
              "archcompiler" in sys.modules, model.compiled)
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # and the output shows archc is not imported
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["19818", "ClassToken", "False", "True"]


class _EntryPoint:
    def __init__(self, value: Any):
        self.name, self.value, self.dist, self._value = "bad", "fake_bad:LAYERS", None, value

    def load(self) -> Any:
        return self._value


@pytest.mark.parametrize("keras_path, message", [
    ("no_such_package_here.layers:Thing", "cannot be imported: ModuleNotFoundError"),
    ("json:JSONDecoder", "json:JSONDecoder (layer type Odd) is not a Keras layer class"),
])
def test_a_plugin_class_that_cannot_be_had_is_e700_at_the_layer(monkeypatch: pytest.MonkeyPatch, keras_path: str,
                                                                message: str) -> None:
    import dataclasses
    odd = dataclasses.replace(REGISTRY["ClassToken"], op="Odd", keras_path=keras_path)
    monkeypatch.setattr(plugins, "_entry_points", lambda: [_EntryPoint((odd,))])
    plugins.reset()
    comp = archcompiler.compile_text("archspec: 1\nmodel:\n  inputs: {x: {shape: [4, 8]}}\n  layers: [Odd]\n",
                                     "net.yaml")
    with pytest.raises(CompileError) as info:
        comp.to_keras()
    (d,) = info.value.diagnostics
    assert d.code == "E700" and d.span is not None and d.span.line == 4 and message in d.message, d.message
