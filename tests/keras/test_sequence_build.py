"""The Keras backend on named inputs (masks included), layers with several outputs and wrappers.

Each spec is built with the backend and compared with the same network written by hand with Keras's own calls
(``layer(query=..., value=..., attention_mask=...)``, ``initial_state=[...]``, ``return_attention_scores``): the
output shapes must equal archc's types, the layer names and weight counts must agree, and with the hand-written
model's (random) weights copied over, the predictions must be the same.

The shapes compared are those of the computed outputs: Keras's symbolic shape of MultiHeadAttention's scores is
``(heads, Tq, Tq)`` whatever the value's length (its ``compute_output_spec`` uses the query's length twice), while
the tensor it computes is ``(heads, Tq, Tv)``, which is archc's type.
"""

from __future__ import annotations


import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
layers = keras.layers

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]



SPEC = """
archspec: 1
name: seqmix
model:
  inputs:
    x: {shape: [6, 4]}
    memory: {shape: [5, 4]}
    allowed: {shape: [6, 5], dtype: bool}
  layers:
    - MultiHeadAttention: {num_heads: 2, key_dim: 3, return_attention_scores: true, id: cross,
                           inputs: {query: x, value: memory, attention_mask: allowed}}
    - MultiHeadAttention: {num_heads: 2, key_dim: 2, use_causal_mask: true, inputs: {query: cross, value: cross}}
    - Attention: {use_scale: true, return_attention_scores: true, inputs: [_, memory], id: att}
    - LSTM: {units: 3, return_state: true, id: enc}
    - GRU: {units: 3, return_sequences: true, inputs: {sequences: x, state: enc.state_c}}
    - Bidirectional: {layer: {SimpleRNN: {units: 2, return_sequences: true}}, merge_mode: null, id: bi}
    - Concatenate: {inputs: [bi.forward, bi.backward]}
    - TimeDistributed: {Dense: {units: 2}}
  outputs: [_, cross.scores, att.scores, enc.state_h]
"""


def hand_written() -> keras.Model:
    x = keras.Input((6, 4), name="x")
    memory = keras.Input((5, 4), name="memory")
    allowed = keras.Input((6, 5), dtype="bool", name="allowed")
    cross, cross_scores = layers.MultiHeadAttention(2, 3)(query=x, value=memory, attention_mask=allowed,
                                                          return_attention_scores=True)
    y = layers.MultiHeadAttention(2, 2)(query=cross, value=cross, use_causal_mask=True)
    y, att_scores = layers.Attention(use_scale=True)([y, memory], return_attention_scores=True)
    _, state_h, state_c = layers.LSTM(3, return_state=True)(y)
    z = layers.GRU(3, return_sequences=True)(x, initial_state=[state_c])
    forward, backward = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True, name="simple_rnn"),
                                             merge_mode=None)(z)
    z = layers.Concatenate()([forward, backward])
    z = layers.TimeDistributed(layers.Dense(2, name="dense"))(z)
    return keras.Model([x, memory, allowed], [z, cross_scores, att_scores, state_h], name="seqmix")


def test_named_inputs_masks_several_outputs_and_wrappers() -> None:
    comp = archcompiler.compile_text(SPEC, "seqmix.yaml")
    ref = hand_written()
    built = comp.to_keras(compile=False)
    assert len(built.outputs) == len(ref.outputs) == 4
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    assert (comp.stats.total.trainable, comp.stats.total.non_trainable) == kerasutil.split_params(ref)
    rng = np.random.default_rng(5)
    for a, b in zip(ref.layers, built.layers):
        weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in a.get_weights()]
        a.set_weights(weights)
        b.set_weights(weights)
    xs = [rng.normal(size=(2, 6, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32"),
          rng.random((2, 6, 5)) > 0.3]
    outs = ref(xs, training=False)
    assert [tuple(np.asarray(y).shape[1:]) for y in outs] == comp.output_shapes
    for ya, yb in zip(outs, built(xs, training=False)):
        assert np.std(np.asarray(ya)) > 0
        np.testing.assert_allclose(np.asarray(yb), np.asarray(ya), atol=1e-6)


def test_a_model_output_that_is_a_further_output_saves_and_loads(tmp_path) -> None:
    from archcompiler.backends.keras import save_model

    comp = archcompiler.compile_text(SPEC, "seqmix.yaml")
    model = comp.to_keras(compile=False)
    save_model(model, tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.count_params() == comp.stats.total.total
    rng = np.random.default_rng(6)
    xs = [rng.normal(size=(1, 6, 4)).astype("float32"), rng.normal(size=(1, 5, 4)).astype("float32"),
          rng.random((1, 6, 5)) > 0.3]
    for ya, yb in zip(model(xs, training=False), loaded(xs, training=False)):
        np.testing.assert_allclose(np.asarray(yb), np.asarray(ya), atol=1e-6)
    assert [tuple(np.asarray(y).shape[1:]) for y in loaded(xs, training=False)] == comp.output_shapes


MASKED = """
model:
  inputs:
    x: {{shape: [6, 4]}}
    m: {{shape: [5, 4]}}
    am: {{shape: [6, 5], dtype: bool}}
    qm: {{shape: [6], dtype: bool}}
    vm: {{shape: [5], dtype: bool}}
  layers:
    - MultiHeadAttention: {{num_heads: 2, key_dim: 3{options}, inputs: {inputs}, id: a}}
  outputs: [a, x, m, am, qm, vm]
"""


@pytest.mark.parametrize("options, inputs", [
    ("", "{query: x, value: m, attention_mask: am}"),
    ("", "{query: x, value: m, query_mask: qm, value_mask: vm}"),
    (", use_causal_mask: true", "{query: x, value: x, query_mask: qm}"),
    (", return_attention_scores: true", "{query: x, value: m, attention_mask: am}"),
])
def test_masked_attention_matches_the_profiler(options: str, inputs: str) -> None:
    """Masks given by name reach Keras, and the FLOP rule holds on the paths Keras takes with them (the
    profiler's figure plus the Einsum products it cannot count)."""
    comp = archcompiler.compile_text(MASKED.format(options=options, inputs=inputs), "masked.yaml")
    model = comp.to_keras(compile=False)
    assert model.count_params() == comp.stats.total.total
    assert kerasutil.profiler_flops(model) + kerasutil.einsum_flops(model) == comp.stats.total.flops
