"""Embedding: integer ids -> vectors of ``output_dim``, by lookup in a trainable ``(input_dim, output_dim)`` table.

Its input is the ids (an integer input: ``model.inputs: {tokens: {shape: [64], dtype: int32}}``); its output is
float32, of the input's shape plus ``output_dim``. FLOPs: the lookup itself is a gather (no arithmetic); the
profiler counts the two operations per id by which TensorFlow maps negative ids (a comparison and an add).
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

LAYERS = (EMBEDDING,)
