"""Pooling layers: MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D (channels-last).

FLOPs as TensorFlow's profiler counts them: a window pool costs its window area per output element (padding
positions included); a global average one per input element; a global max nothing (its reduction is not counted).
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import (
    DOC_DATA_FORMAT, DOC_PADDING, DataFormat, InferFn, IntPair, LayerDef, LayerParams, PaddingMode, Shape,
    check_spatial, numel, require_rank, window_output_dim,
)
from .labels import size_text, stride_text

_POOL_SIZE = "Height and width of the pooling window: `2` or `[2, 2]`."


class MaxPooling2DParams(LayerParams):
    """Arguments of ``keras.layers.MaxPooling2D``; ``strides`` defaults to ``pool_size``."""

    pool_size: IntPair = Field((2, 2), description=_POOL_SIZE)
    strides: Optional[IntPair] = Field(None, description="Step of the window along height and width; null means "
                                                         "pool_size (windows that do not overlap).")
    padding: PaddingMode = Field("valid", description=DOC_PADDING)
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


class AveragePooling2DParams(MaxPooling2DParams):
    """Arguments of ``keras.layers.AveragePooling2D`` (``pool_size`` is required, as in Keras)."""

    pool_size: IntPair = Field(description=_POOL_SIZE)


def _pool_shape(op: str) -> InferFn:
    def infer(p: MaxPooling2DParams, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, 3, "height, width, channels")
        strides = p.strides or p.pool_size
        out = tuple(window_output_dim(n, k, s, 1, p.padding) for n, k, s in zip(x[:2], p.pool_size, strides))
        check_spatial(op, out, x, pool_size=p.pool_size, strides=strides, padding=p.padding)
        return (*out, x[2])
    return infer


def _pool_flops(p: MaxPooling2DParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else p.pool_size[0] * p.pool_size[1] * n


def _pool_label(p: MaxPooling2DParams) -> str:
    """``3×3/2``: the window and its stride (which defaults to the window)."""
    return size_text(p.pool_size) + stride_text(p.strides if p.strides is not None else p.pool_size)


MAX_POOLING2D = LayerDef(
    op="MaxPooling2D", params=MaxPooling2DParams, infer=_pool_shape("MaxPooling2D"), count_flops=_pool_flops,
    family="pooling", positional="pool_size",
    doc="Maximum over `pool_size` windows moved by `strides` (default: `pool_size`).", label=_pool_label,
)

AVERAGE_POOLING2D = LayerDef(
    op="AveragePooling2D", params=AveragePooling2DParams, infer=_pool_shape("AveragePooling2D"),
    count_flops=_pool_flops, family="pooling", positional="pool_size",
    doc="Average over `pool_size` windows moved by `strides` (default: `pool_size`).", label=_pool_label,
)


class GlobalPooling2DParams(LayerParams):
    """Arguments of ``keras.layers.GlobalAveragePooling2D`` / ``GlobalMaxPooling2D``."""

    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    keepdims: bool = Field(False, description="true keeps height and width as 1 (output 1x1xC); false gives one "
                                              "vector of C values.")


def _global_shape(op: str) -> InferFn:
    def infer(p: GlobalPooling2DParams, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, 3, "height, width, channels")
        return (1, 1, x[2]) if p.keepdims else (x[2],)
    return infer


def _global_average_flops(p: GlobalPooling2DParams, ins: list[Shape], out: Shape) -> Optional[int]:
    return numel(ins[0])


def _global_label(p: GlobalPooling2DParams) -> str:
    return "keepdims" if p.keepdims else ""


GLOBAL_AVERAGE_POOLING2D = LayerDef(
    op="GlobalAveragePooling2D", params=GlobalPooling2DParams, infer=_global_shape("GlobalAveragePooling2D"),
    count_flops=_global_average_flops, family="pooling", positional="keepdims",
    doc="Average over height and width: one value per channel (`keepdims: true` keeps a 1x1 map).",
    label=_global_label,
)

GLOBAL_MAX_POOLING2D = LayerDef(
    op="GlobalMaxPooling2D", params=GlobalPooling2DParams, infer=_global_shape("GlobalMaxPooling2D"),
    family="pooling", positional="keepdims",
    doc="Maximum over height and width: one value per channel (`keepdims: true` keeps a 1x1 map).",
    label=_global_label,
)

LAYERS = (MAX_POOLING2D, AVERAGE_POOLING2D, GLOBAL_AVERAGE_POOLING2D, GLOBAL_MAX_POOLING2D)
