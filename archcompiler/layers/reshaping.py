"""Layers that move values without arithmetic: Flatten, Reshape, ZeroPadding2D, Cropping2D, UpSampling2D, Permute
and RepeatVector.

They cost no FLOPs, except UpSampling2D's nearest-neighbour mode, whose graph multiplies a two-element shape
vector (2 FLOPs whatever the input), and RepeatVector, whose graph multiplies the repeat count into the shape
(1 FLOP).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator

from .base import (
    DOC_DATA_FORMAT, MAX_SIZE, DataFormat, IntPair, LayerDef, LayerParams, Padding2D, PositiveInt, Shape, ShapeError,
    check_spatial, numel, require_rank,
)
from .labels import borders_text, no_label, shape_text, size_text


# ---------------------------------------------------------------------------------------------------------------
# Flatten and Reshape
# ---------------------------------------------------------------------------------------------------------------


class FlattenParams(LayerParams):
    """Arguments of ``keras.layers.Flatten``."""

    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


def _flatten_shape(p: FlattenParams, ins: list[Shape]) -> Shape:
    return (numel(ins[0]),)


FLATTEN = LayerDef(
    op="Flatten", params=FlattenParams, infer=_flatten_shape, family="reshape",
    doc="Flattens all dimensions but the batch into one.", label=no_label,
)

TargetDim = Annotated[int, Field(strict=True, ge=-1, le=MAX_SIZE)]


class ReshapeParams(LayerParams):
    """Arguments of ``keras.layers.Reshape``: the new shape without the batch; one entry may be -1 (inferred)."""

    target_shape: Annotated[tuple[TargetDim, ...], Field(min_length=1, max_length=8)] = Field(
        description="The new shape without the batch dimension, e.g. `[7, 7, 64]`; one entry may be -1, "
                    "computed from the input's size.")

    @field_validator("target_shape")
    @classmethod
    def _check_target(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if 0 in v:
            raise ValueError(f"target_shape entries must be positive or -1. Received: target_shape={v}")
        if v.count(-1) > 1:
            raise ValueError(f"target_shape can contain at most one -1. Received: target_shape={v}")
        return v


def _reshape_shape(p: ReshapeParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    target = p.target_shape
    total = numel(x)
    known = math.prod(d for d in target if d != -1)
    if total is None:
        return tuple(None if d == -1 else d for d in target)
    if -1 in target:
        if total % known:
            raise ShapeError(f"Reshape expects the input size ({total}) to be divisible by the known dimensions of "
                             f"target_shape ({known}). Received: input_shape={x}, target_shape={target}")
        return tuple(total // known if d == -1 else d for d in target)
    if known != total:
        raise ShapeError(f"Reshape expects target_shape to hold as many elements as the input ({total}); it holds "
                         f"{known}. Received: input_shape={x}, target_shape={target}")
    return target


RESHAPE = LayerDef(
    op="Reshape", params=ReshapeParams, infer=_reshape_shape, family="reshape", positional="target_shape",
    doc="Reshapes to `target_shape` (batch excluded); one dimension may be -1 and is then inferred.",
    label=lambda p: shape_text(tuple(p.target_shape)),
)


# ---------------------------------------------------------------------------------------------------------------
# ZeroPadding2D, Cropping2D, UpSampling2D
# ---------------------------------------------------------------------------------------------------------------


def _plus(n: Optional[int], k: int) -> Optional[int]:
    return None if n is None else n + k


class ZeroPadding2DParams(LayerParams):
    """Arguments of ``keras.layers.ZeroPadding2D``: ``3``, ``[1, 2]`` or ``[[top, bottom], [left, right]]``."""

    padding: Padding2D = Field(((1, 1), (1, 1)), description="Rows and columns of zeros to add: `3` (all "
                                                             "sides), `[1, 2]` (height, width: both sides) or "
                                                             "`[[top, bottom], [left, right]]`.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


def _zero_padding_shape(p: ZeroPadding2DParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    require_rank("ZeroPadding2D", x, 3, "height, width, channels")
    (top, bottom), (left, right) = p.padding
    return (_plus(x[0], top + bottom), _plus(x[1], left + right), x[2])


ZERO_PADDING2D = LayerDef(
    op="ZeroPadding2D", params=ZeroPadding2DParams, infer=_zero_padding_shape, family="reshape",
    positional="padding", doc="Adds rows and columns of zeros around each feature map.",
    label=lambda p: borders_text(p.padding),
)


class Cropping2DParams(LayerParams):
    """Arguments of ``keras.layers.Cropping2D``: ``2``, ``[1, 2]`` or ``[[top, bottom], [left, right]]``."""

    cropping: Padding2D = Field(((0, 0), (0, 0)), description="Rows and columns to remove: `2` (all sides), "
                                                              "`[1, 2]` (height, width: both sides) or "
                                                              "`[[top, bottom], [left, right]]`.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


def _cropping_shape(p: Cropping2DParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    require_rank("Cropping2D", x, 3, "height, width, channels")
    (top, bottom), (left, right) = p.cropping
    out = (_plus(x[0], -(top + bottom)), _plus(x[1], -(left + right)))
    check_spatial("Cropping2D", out, x, cropping=p.cropping)
    return (*out, x[2])


CROPPING2D = LayerDef(
    op="Cropping2D", params=Cropping2DParams, infer=_cropping_shape, family="reshape", positional="cropping",
    doc="Removes rows and columns from the borders of each feature map.", label=lambda p: borders_text(p.cropping),
)


class UpSampling2DParams(LayerParams):
    """Arguments of ``keras.layers.UpSampling2D``."""

    size: IntPair = Field((2, 2), description="Upsampling factors for height and width: `2` or `[2, 3]`.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    interpolation: Literal["nearest", "bilinear"] = Field(
        "nearest", description="`nearest` repeats each row and column; `bilinear` interpolates between them.")


def _upsampling_shape(p: UpSampling2DParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    require_rank("UpSampling2D", x, 3, "height, width, channels")
    return (*(None if n is None else n * s for n, s in zip(x[:2], p.size)), x[2])


def _upsampling_flops(p: UpSampling2DParams, ins: list[Shape], out: Shape) -> int:
    # Nearest repeats rows then columns; the profiler only sees the multiplication of a 2-element shape vector.
    return 2 if p.interpolation == "nearest" else 0


UPSAMPLING2D = LayerDef(
    op="UpSampling2D", params=UpSampling2DParams, infer=_upsampling_shape, count_flops=_upsampling_flops,
    family="reshape", positional="size", doc="Repeats rows and columns `size` times (or interpolates bilinearly).",
    label=lambda p: "×" + size_text(p.size),
)



# ---------------------------------------------------------------------------------------------------------------
# Permute and RepeatVector
# ---------------------------------------------------------------------------------------------------------------

AxisIndex = Annotated[int, Field(strict=True, ge=1, le=8)]


class PermuteParams(LayerParams):
    """Arguments of ``keras.layers.Permute``: the new order of the axes, batch excluded, counted from 1."""

    dims: Annotated[tuple[AxisIndex, ...], Field(min_length=1, max_length=8)] = Field(
        description="The input axes in their new order, counted from 1 (the batch stays first): `[2, 1]` swaps "
                    "the two axes of a sequence; a permutation of 1 ... rank.")

    @field_validator("dims")
    @classmethod
    def _permutation(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if sorted(v) != list(range(1, len(v) + 1)):
            raise ValueError(f"dims must be a permutation of 1 ... {len(v)} (each input axis once, counted from 1; "
                             f"the batch axis 0 stays first). Received: dims={list(v)}")
        return v


def _permute_shape(p: PermuteParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    if len(x) != len(p.dims):
        raise ShapeError(f"Permute expects dims to order every axis of its input: {len(x)} axes, batch excluded, "
                         f"so a permutation of 1 ... {len(x)}. Received: dims={list(p.dims)}, input_shape={x}")
    return tuple(x[d - 1] for d in p.dims)


PERMUTE = LayerDef(
    op="Permute", params=PermuteParams, infer=_permute_shape, family="reshape", positional="dims",
    doc="Reorders the axes of its input (batch excluded): `dims: [2, 1]` transposes a sequence.",
    label=lambda p: "(" + ", ".join(str(d) for d in p.dims) + ")",
)


class RepeatVectorParams(LayerParams):
    """Arguments of ``keras.layers.RepeatVector``: how many times a vector is repeated."""

    n: PositiveInt = Field(description="Number of repetitions: a vector of shape (features) becomes (n, features).")


def _repeat_vector_shape(p: RepeatVectorParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    require_rank("RepeatVector", x, 1, "features")
    return (p.n, x[0])


REPEAT_VECTOR = LayerDef(
    op="RepeatVector", params=RepeatVectorParams, infer=_repeat_vector_shape, count_flops=lambda p, ins, out: 1,
    family="reshape", positional="n", doc="Repeats a vector `n` times: shape (features) becomes (n, features).",
    label=lambda p: f"×{p.n}",
)

LAYERS = (FLATTEN, RESHAPE, ZERO_PADDING2D, CROPPING2D, UPSAMPLING2D, PERMUTE, REPEAT_VECTOR)
