"""archc's own Keras layers (backends/keras_layers.py: PositionEmbedding, PrependToken): what they compute, and a
saved ``.keras`` file that loads in a fresh process that imports only that module of archc."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras

pytestmark = pytest.mark.keras

SPEC = """
archspec: 1
name: tokens
model:
  inputs:
    image: {shape: [8, 8, 3]}
  layers:
    - Conv2D: {filters: 6, kernel_size: 4, strides: 4, name: patches}
    - Reshape: {target_shape: [4, 6], name: tokens}
    - {id: cls, PrependToken: {initializer: {random_normal: {seed: 3}}, name: cls}}
    - {id: pos, PositionEmbedding: {sequence_length: 9, initializer: {random_normal: {seed: 4}}, name: pos}}
    - Add: {name: add_pos, inputs: [cls, pos]}
    - Flatten
    - Dense: {units: 3, name: head}
"""


def _model(tmp_path: Path) -> keras.Model:
    path = tmp_path / "tokens.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return archcompiler.load(path).to_keras()


def test_what_the_layers_compute(tmp_path: Path) -> None:
    model = _model(tmp_path)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    tokens = keras.Model(model.inputs, model.get_layer("tokens").output)(x)
    (token,) = model.get_layer("cls").get_weights()
    (table,) = model.get_layer("pos").get_weights()
    assert token.shape == (1, 1, 6) and table.shape == (9, 6)
    with_token = keras.Model(model.inputs, model.get_layer("cls").output)(x)
    np.testing.assert_array_equal(with_token[:, 0], np.broadcast_to(token[0], (2, 6)))
    np.testing.assert_array_equal(with_token[:, 1:], tokens)
    positions = keras.Model(model.inputs, model.get_layer("pos").output)(x)
    np.testing.assert_array_equal(positions, np.broadcast_to(table[:5], (2, 5, 6)))


def test_the_saved_model_loads_with_the_layers_module_imported(tmp_path: Path) -> None:
    model = _model(tmp_path)
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", model.predict(x, verbose=0))
    model.save(tmp_path / "tokens.keras")
    code = f"""
import numpy as np
import archcompiler.backends.keras_layers  # registers PositionEmbedding and PrependToken
import keras
model = keras.models.load_model({str(tmp_path / 'tokens.keras')!r})
y = model.predict(np.load({str(tmp_path / 'x.npy')!r}), verbose=0)
np.testing.assert_allclose(y, np.load({str(tmp_path / 'y.npy')!r}), rtol=0, atol=1e-6)
print([type(l).__name__ for l in model.layers])
"""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'PrependToken', 'PositionEmbedding'" in proc.stdout
