"""Embeddings: looked-up vectors (Embedding), learned positions (PositionEmbedding) and a learned token
(PrependToken).

* ``Embedding``: integer ids -> vectors of ``output_dim``, by lookup in a trainable ``(input_dim, output_dim)``
  table. Its input is the ids (an integer input: ``model.inputs: {tokens: {shape: [64], dtype: int32}}``); its
  output is float32, of the input's shape plus ``output_dim``. FLOPs: the lookup itself is a gather (no
  arithmetic); the profiler counts the two operations per id by which TensorFlow maps negative ids (a comparison
  and an add).
* ``PositionEmbedding``: a trainable ``(sequence_length, dim)`` table of one vector per position; its output is the
  first ``tokens`` rows, broadcast to its input's shape ``(..., tokens, dim)``, which a transformer then adds to its
  token embeddings (``Add``). No arithmetic (a slice and a broadcast).
* ``PrependToken``: one trainable ``dim`` vector put in front of a sequence ``(tokens, dim)``, giving
  ``(tokens + 1, dim)``: the class token of a vision transformer, whose output the classifier reads. No arithmetic
  (a concatenation).

Keras has no layer for the last two; archc's Keras backend builds them from its own classes
(``archcompiler.backends.keras_layers``, registered as serializable under the package ``archcompiler``: a saved
``.keras`` file loads wherever that module is imported, which ``import archcompiler.backends.keras_layers`` does).
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import InitializerArg, LayerDef, LayerParams, PositiveInt, RegularizerArg, Shape, ShapeError, numel
from .base import doc_initializer, doc_regularizer


class EmbeddingParams(LayerParams):
    """Arguments of ``keras.layers.Embedding``."""

    input_dim: PositiveInt = Field(description="Size of the vocabulary: ids run from 0 to input_dim - 1.")
    output_dim: PositiveInt = Field(description="Size of each id's vector (the new last axis).")
    embeddings_initializer: InitializerArg = Field("uniform", description=doc_initializer("the table"))
    embeddings_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the table"))
    mask_zero: bool = Field(False, description="Treat id 0 as padding: the layer passes a mask to the layers "
                                               "after it (which then ignore those positions); ids start at 1.")


def _shape(p: EmbeddingParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    if len(x) > 7:
        raise ShapeError(f"Embedding expects ids of rank 8 at most (batch included). Received: input_shape={x}")
    return (*x, p.output_dim)


def _params(p: EmbeddingParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (p.input_dim * p.output_dim, 0)


def _flops(p: EmbeddingParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(ins[0])
    return None if n is None else 2 * n


EMBEDDING = LayerDef(
    op="Embedding", params=EmbeddingParams, infer=_shape, count_params=_params, count_flops=_flops,
    family="dense", dtype="float32",
    doc="Maps integer ids (an `int32` input) to trainable vectors of `output_dim`: the output has the ids' shape "
        "plus that axis. `mask_zero: true` makes id 0 padding that later layers skip.",
    label=lambda p: f"{p.input_dim}→{p.output_dim}" + (", mask 0" if p.mask_zero else ""),
)

KERAS_LAYERS = "archcompiler.backends.keras_layers"


class PositionEmbeddingParams(LayerParams):
    """Arguments of archc's ``PositionEmbedding`` Keras layer."""

    sequence_length: PositiveInt = Field(description="The number of positions the table holds (BERT: 512): the "
                                                     "longest sequence the layer takes.")
    initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the table"))


def _position_shape(p: PositionEmbeddingParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    if len(x) < 2:
        raise ShapeError(f"PositionEmbedding expects an input of rank 2 at least (tokens, dim), batch excluded. "
                         f"Received: input_shape={x}")
    if x[-1] is None:
        raise ShapeError(f"PositionEmbedding expects a known last (dim) dimension: its table has one vector of "
                         f"that size per position. Received: input_shape={x}")
    if x[-2] is not None and x[-2] > p.sequence_length:
        raise ShapeError(f"PositionEmbedding with sequence_length={p.sequence_length} takes sequences of at most "
                         f"{p.sequence_length} tokens. Received: input_shape={x} ({x[-2]} tokens); raise "
                         f"sequence_length or shorten the input")
    return x


def _position_params(p: PositionEmbeddingParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (p.sequence_length * ins[0][-1], 0)  # type: ignore[operator]


POSITION_EMBEDDING = LayerDef(
    op="PositionEmbedding", params=PositionEmbeddingParams, infer=_position_shape, count_params=_position_params,
    family="dense", keras_path=f"{KERAS_LAYERS}:PositionEmbedding",
    doc="A trainable vector per position, up to `sequence_length`: the output is the vectors of the input's "
        "positions (axis -2), broadcast to the input's shape, to be added to the token embeddings with `Add` "
        "(BERT, a vision transformer). `sequence_length` x dim weights; no arithmetic.",
    label=lambda p: f"{p.sequence_length} positions",
)


class PrependTokenParams(LayerParams):
    """Arguments of archc's ``PrependToken`` Keras layer."""

    initializer: InitializerArg = Field("zeros", description=doc_initializer("the token"))


def _token_shape(p: PrependTokenParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    if len(x) != 2:
        raise ShapeError(f"PrependToken expects an input of rank 2 (tokens, dim), batch excluded. "
                         f"Received: input_shape={x}")
    if x[1] is None:
        raise ShapeError(f"PrependToken expects a known dim (last) dimension: the token has that size. "
                         f"Received: input_shape={x}")
    return (None if x[0] is None else x[0] + 1, x[1])


PREPEND_TOKEN = LayerDef(
    op="PrependToken", params=PrependTokenParams, infer=_token_shape,
    count_params=lambda p, ins, out: (out[-1], 0), family="dense",  # type: ignore[arg-type,return-value]
    keras_path=f"{KERAS_LAYERS}:PrependToken",
    doc="Puts one trainable vector (dim weights) in front of a sequence of tokens (tokens, dim), giving "
        "(tokens + 1, dim): a vision transformer's class token, whose output the classifier reads.",
    label=lambda p: "+1 token",
)

LAYERS = (EMBEDDING, POSITION_EMBEDDING, PREPEND_TOKEN)
