"""specs/transformers/bert.yaml against a BERT encoder written by hand with keras.layers.

The hand-written model uses Keras's own Embedding, MultiHeadAttention, LayerNormalization, Dense, Dropout, Add,
Cropping1D and Flatten, and the position-embedding layer of tests/kerasutil.py (independent of archc's class). At a small
size (vocabulary 100, 2 layers, width 32, 16 tokens) the layer names and classes, the parameter counts and, with the
hand-written model's random weights copied over, both outputs (with a padding mask) must equal the built spec's;
the full-size BERT-base, -tiny and -mini counts are compared in a slow test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import archcompiler

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
layers = keras.layers

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]

SPECS = Path(__file__).resolve().parents[2] / "specs" / "transformers"

SMALL = {"vocabulary_size": 100, "num_layers": 2, "hidden_size": 32, "num_heads": 4, "intermediate_size": 64,
         "max_sequence_length": 24, "seq_len": 16}


def hand_written(vocabulary_size: int = 30522, num_layers: int = 12, hidden_size: int = 768, num_heads: int = 12,
                 intermediate_size: int = 3072, max_sequence_length: int = 512, seq_len: int = 128,
                 type_vocab_size: int = 2, dropout: float = 0.1, name: str = "bert") -> keras.Model:
    token_ids = keras.Input((seq_len,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((seq_len,), dtype="int32", name="segment_ids")
    padding_mask = keras.Input((seq_len,), dtype="int32", name="padding_mask")
    mask = layers.Reshape((1, seq_len), name="attention_mask")(padding_mask)
    tokens = layers.Embedding(vocabulary_size, hidden_size, name="token_embedding")(token_ids)
    segments = layers.Embedding(type_vocab_size, hidden_size, name="segment_embedding")(segment_ids)
    positions = kerasutil.LearnedPositions(max_sequence_length, name="position_embedding")(tokens)
    x = layers.Add(name="embeddings_add")([tokens, segments, positions])
    x = layers.LayerNormalization(epsilon=1e-12, name="embeddings_norm")(x)
    x = layers.Dropout(dropout, name="embeddings_dropout")(x)
    for i in range(num_layers):
        p = f"encoder{i}"
        a = layers.MultiHeadAttention(num_heads, hidden_size // num_heads, dropout=dropout,
                                      name=f"{p}_attention")(query=x, value=x, attention_mask=mask)
        a = layers.Dropout(dropout, name=f"{p}_attention_dropout")(a)
        x = layers.LayerNormalization(epsilon=1e-12, name=f"{p}_attention_norm")(
            layers.Add(name=f"{p}_attention_add")([x, a]))
        f = layers.Dense(intermediate_size, activation="gelu", name=f"{p}_intermediate")(x)
        f = layers.Dropout(dropout, name=f"{p}_output_dropout")(layers.Dense(hidden_size, name=f"{p}_output")(f))
        x = layers.LayerNormalization(epsilon=1e-12, name=f"{p}_output_norm")(
            layers.Add(name=f"{p}_output_add")([x, f]))
    sequence = layers.Identity(name="sequence_output")(x)
    first = layers.Flatten(name="first_token_flat")(layers.Cropping1D((0, seq_len - 1), name="first_token")(sequence))
    pooled = layers.Dense(hidden_size, activation="tanh", name="pooled_output")(first)
    return keras.Model([token_ids, segment_ids, padding_mask], [sequence, pooled], name=name)


def test_small_bert_equals_the_hand_written_one() -> None:
    comp = archcompiler.load(SPECS / "bert.yaml", overrides=SMALL)
    built = comp.to_keras(compile=False)
    ref = hand_written(**SMALL)
    assert sorted(layer.name for layer in built.layers) == sorted(layer.name for layer in ref.layers)
    assert built.count_params() == ref.count_params() == comp.stats.total.total
    assert kerasutil.split_params(ref) == (comp.stats.total.trainable, comp.stats.total.non_trainable)
    rng = np.random.default_rng(7)
    by_name = {layer.name: layer for layer in built.layers}
    for a in ref.layers:
        b = by_name[a.name]
        assert [w.shape for w in a.get_weights()] == [w.shape for w in b.get_weights()], a.name
        weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in a.get_weights()]
        a.set_weights(weights)
        b.set_weights(weights)
    n = SMALL["seq_len"]
    ids = rng.integers(0, SMALL["vocabulary_size"], (3, n)).astype("int32")
    segments = (np.arange(n) >= n // 2).astype("int32")[None].repeat(3, 0)
    mask = np.ones((3, n), "int32")
    mask[1, 10:] = 0
    mask[2, 4:] = 0
    xs = [ids, segments, mask]
    expected = ref(xs, training=False)
    got = built(xs, training=False)
    assert [tuple(np.asarray(y).shape[1:]) for y in expected] == comp.output_shapes
    for ya, yb in zip(expected, got):
        assert np.std(np.asarray(ya)) > 0
        np.testing.assert_allclose(np.asarray(yb), np.asarray(ya), atol=1e-5)
    # the mask matters: unmasking the padding changes the first (unpadded) token's output
    unmasked = built([ids, segments, np.ones((3, n), "int32")], training=False)
    assert not np.allclose(np.asarray(unmasked[1])[1:], np.asarray(got[1])[1:], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("spec, sizes, total", [
    ("bert.yaml", {}, 109_482_240),
    ("bert_tiny.yaml", {"num_layers": 2, "hidden_size": 128, "num_heads": 2, "intermediate_size": 512}, 4_385_920),
    ("bert_mini.yaml", {"num_layers": 4, "hidden_size": 256, "num_heads": 4, "intermediate_size": 1024}, 11_170_560),
])
def test_full_size_counts_equal_the_hand_written_ones(spec: str, sizes: dict, total: int) -> None:
    comp = archcompiler.load(SPECS / spec)
    ref = hand_written(**sizes)
    assert ref.count_params() == comp.stats.total.total == total
    assert len(ref.layers) == comp.layer_count
