"""Pooling layers over 1, 2 or 3 spatial axes (channels-last): MaxPooling, AveragePooling, GlobalMaxPooling and
GlobalAveragePooling 1D/2D/3D, one rank-generic definition per kind (:func:`window_pooling`,
:func:`global_pooling`).

FLOPs as TensorFlow's profiler counts them: a window pool costs its window area per output element (padding
positions included); a global average one per input element; a global max nothing (its reduction is not counted).
The profiler has no rule for the 3D window pools (it reports 0); archc counts them as the 1D and 2D ones, a
documented deviation (see :mod:`archcompiler.layers.base`).
"""

from __future__ import annotations

import math
from typing import Any, Optional

from pydantic import Field, create_model

from .base import (
    DOC_DATA_FORMAT, DOC_PADDING, SPATIAL_AXES, DataFormat, InferFn, LayerDef, LayerParams, PaddingMode, Shape,
    check_spatial, no_flops, numel, require_rank, sizes, window_output_dim,
)
from .labels import size_text, stride_text

#: The per-axis words of the descriptions, by rank.
_AXES_TEXT = {1: "the steps axis", 2: "height and width", 3: "depth, height and width"}


def _pool_size_doc(rank: int) -> str:
    if rank == 1:
        return "Length of the pooling window: `2` or `[2]`."
    if rank == 2:
        return "Height and width of the pooling window: `2` or `[2, 2]`."
    return "Depth, height and width of the pooling window: `2` or `[2, 2, 2]`."


def _tup(v: Any) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, tuple) else (v,)


def _window_model(op: str, rank: int, max_pool: bool) -> type[LayerParams]:
    """Arguments of ``keras.layers.<op>``; ``strides`` defaults to ``pool_size``. AveragePooling's ``pool_size`` is
    required, as in Keras; MaxPooling's defaults to 2 on every axis."""
    size = sizes(rank)
    default = (2 if rank == 1 else (2,) * rank) if max_pool else ...
    strides_doc = ("Step of the window along the steps axis; null means pool_size (windows that do not overlap)."
                   if rank == 1 else f"Step of the window along {_AXES_TEXT[rank]}; null means pool_size (windows "
                                     f"that do not overlap).")
    return create_model(
        f"{op}Params", __base__=LayerParams, __module__=__name__,
        __doc__=f"Arguments of ``keras.layers.{op}``; ``strides`` defaults to ``pool_size``.",
        pool_size=(size, Field(default, description=_pool_size_doc(rank))),
        strides=(Optional[size], Field(None, description=strides_doc)),
        padding=(PaddingMode, Field("valid", description=DOC_PADDING)),
        data_format=(DataFormat, Field(None, description=DOC_DATA_FORMAT)),
    )


def _pool_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
        pool = _tup(p.pool_size)
        strides = _tup(p.strides) if p.strides is not None else pool
        out = tuple(window_output_dim(n, k, s, 1, p.padding) for n, k, s in zip(x[:-1], pool, strides))
        check_spatial(op, out, x, pool_size=p.pool_size, strides=p.strides or p.pool_size, padding=p.padding)
        return (*out, x[-1])
    return infer


def _pool_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else math.prod(_tup(p.pool_size)) * n


def _pool_label(p: Any) -> str:
    """``3×3/2``: the window and its stride (which defaults to the window)."""
    return size_text(p.pool_size) + stride_text(p.strides if p.strides is not None else p.pool_size)


def window_pooling(kind: str, rank: int) -> LayerDef:
    """The registry entry of ``MaxPooling<rank>D`` (``kind`` max) or ``AveragePooling<rank>D`` (average)."""
    op = f"{'Max' if kind == 'max' else 'Average'}Pooling{rank}D"
    what = "Maximum" if kind == "max" else "Average"
    return LayerDef(
        op=op, params=_window_model(op, rank, kind == "max"), infer=_pool_shape(op, rank), count_flops=_pool_flops,
        family="pooling", positional="pool_size",
        doc=f"{what} over `pool_size` windows moved by `strides` (default: `pool_size`).", label=_pool_label,
    )


def _global_model(op: str, rank: int) -> type[LayerParams]:
    kept = "the steps axis as 1 (output 1xC)" if rank == 1 else \
        f"{_AXES_TEXT[rank]} as 1 (output {'x'.join(['1'] * rank)}xC)"
    return create_model(
        f"{op}Params", __base__=LayerParams, __module__=__name__, __doc__=f"Arguments of ``keras.layers.{op}``.",
        data_format=(DataFormat, Field(None, description=DOC_DATA_FORMAT)),
        keepdims=(bool, Field(False, description=f"true keeps {kept}; false gives one vector of C values.")),
    )


def _global_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
        return (*(1,) * rank, x[-1]) if p.keepdims else (x[-1],)
    return infer


def _global_average_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    return numel(ins[0])


def _global_label(p: Any) -> str:
    return "keepdims" if p.keepdims else ""


_GLOBAL_OVER = {1: "steps", 2: "height and width", 3: "depth, height and width"}
_KEPT_MAP = {1: "a length-1 sequence", 2: "a 1x1 map", 3: "a 1x1x1 volume"}


def global_pooling(kind: str, rank: int) -> LayerDef:
    """The registry entry of ``GlobalMaxPooling<rank>D`` (``kind`` max) or ``GlobalAveragePooling<rank>D``."""
    op = f"Global{'Max' if kind == 'max' else 'Average'}Pooling{rank}D"
    what = "Maximum" if kind == "max" else "Average"
    return LayerDef(
        op=op, params=_global_model(op, rank), infer=_global_shape(op, rank),
        count_flops=_global_average_flops if kind == "average" else no_flops, family="pooling",
        positional="keepdims",
        doc=f"{what} over {_GLOBAL_OVER[rank]}: one value per channel (`keepdims: true` keeps {_KEPT_MAP[rank]}).",
        label=_global_label,
    )


MAX_POOLING2D, AVERAGE_POOLING2D = window_pooling("max", 2), window_pooling("average", 2)
GLOBAL_AVERAGE_POOLING2D, GLOBAL_MAX_POOLING2D = global_pooling("average", 2), global_pooling("max", 2)

LAYERS = (
    MAX_POOLING2D, AVERAGE_POOLING2D, GLOBAL_AVERAGE_POOLING2D, GLOBAL_MAX_POOLING2D,
    *(window_pooling(kind, rank) for rank in (1, 3) for kind in ("max", "average")),
    *(global_pooling(kind, rank) for rank in (1, 3) for kind in ("average", "max")),
)
