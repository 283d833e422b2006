"""Layers that move values without arithmetic: Flatten, Reshape, Permute, RepeatVector, and ZeroPadding, Cropping
and UpSampling over 1, 2 or 3 spatial axes (one rank-generic definition per kind: :func:`zero_padding`,
:func:`cropping`, :func:`upsampling`).

They cost no FLOPs, except nearest-neighbour upsampling, whose graph multiplies shape elements: one per repeated
axis in 1D and 3D (1 and 3 FLOPs), a two-element shape vector in 2D (2 FLOPs), whatever the input; and
RepeatVector, whose graph multiplies the repeat count into the shape (1 FLOP).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, create_model, field_validator

from .base import (
    DOC_DATA_FORMAT, MAX_SIZE, SPATIAL_AXES, DataFormat, InferFn, IntPair, LayerDef, LayerParams, PositiveInt,
    Shape, ShapeError, borders, check_spatial, numel, require_rank, sizes,
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
# ZeroPadding, Cropping and UpSampling, 1D/2D/3D
# ---------------------------------------------------------------------------------------------------------------


def _plus(n: Optional[int], k: int) -> Optional[int]:
    return None if n is None else n + k


def _pairs(rank: int, v: Any) -> tuple[tuple[int, int], ...]:
    """The (before, after) pairs of a padding or cropping argument per spatial axis (rank 1: one pair)."""
    return (v,) if rank == 1 else v


_BORDER_DOCS = {
    1: "`{n}` (both ends) or `[left, right]`",
    2: "`{n}` (all sides), `[1, 2]` (height, width: both sides) or `[[top, bottom], [left, right]]`",
    3: "`{n}` (all sides), `[1, 2, 3]` (depth, height, width: both sides) or `[[front, back], [top, bottom], "
       "[left, right]]`",
}
_BORDER_DEFAULT = {("padding", 1): (1, 1), ("padding", 2): ((1, 1), (1, 1)), ("padding", 3): ((1, 1),) * 3,
                   ("cropping", 1): (1, 1), ("cropping", 2): ((0, 0), (0, 0)), ("cropping", 3): ((1, 1),) * 3}
_BORDER_WHAT = {("padding", 1): "Zeros to add at the start and end of the steps axis",
                ("padding", 2): "Rows and columns of zeros to add", ("padding", 3): "Planes of zeros to add",
                ("cropping", 1): "Steps to remove at the start and end", ("cropping", 2): "Rows and columns to remove",
                ("cropping", 3): "Planes to remove"}


def _border_model(op: str, rank: int, arg: str) -> type[LayerParams]:
    """Arguments of ``keras.layers.<op>`` (ZeroPadding or Cropping over ``rank`` axes; Cropping1D has no
    ``data_format``)."""
    example = "3" if arg == "padding" else "2"
    fields: dict[str, Any] = {arg: (borders(rank), Field(_BORDER_DEFAULT[arg, rank], description=(
        f"{_BORDER_WHAT[arg, rank]}: {_BORDER_DOCS[rank].format(n=example)}.")))}
    if not (op == "Cropping1D"):
        fields["data_format"] = (DataFormat, Field(None, description=DOC_DATA_FORMAT))
    return create_model(f"{op}Params", __base__=LayerParams, __module__=__name__,
                        __doc__=f"Arguments of ``keras.layers.{op}``.", **fields)


def _padding_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
        return (*(_plus(n, a + b) for n, (a, b) in zip(x[:-1], _pairs(rank, p.padding))), x[-1])
    return infer


def _cropping_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
        out = tuple(_plus(n, -(a + b)) for n, (a, b) in zip(x[:-1], _pairs(rank, p.cropping)))
        check_spatial(op, out, x, cropping=p.cropping)
        return (*out, x[-1])
    return infer


def zero_padding(rank: int) -> LayerDef:
    """The registry entry of ``ZeroPadding<rank>D``."""
    op = f"ZeroPadding{rank}D"
    what = {1: "Adds zeros at the start and end of each sequence.",
            2: "Adds rows and columns of zeros around each feature map.",
            3: "Adds planes of zeros around each volume (depth, height and width)."}[rank]
    return LayerDef(op=op, params=_border_model(op, rank, "padding"), infer=_padding_shape(op, rank),
                    family="reshape", positional="padding", doc=what,
                    label=lambda p: borders_text(_pairs(rank, p.padding)))


def cropping(rank: int) -> LayerDef:
    """The registry entry of ``Cropping<rank>D``."""
    op = f"Cropping{rank}D"
    what = {1: "Removes steps from the start and end of each sequence.",
            2: "Removes rows and columns from the borders of each feature map.",
            3: "Removes planes from the borders of each volume (depth, height and width)."}[rank]
    return LayerDef(op=op, params=_border_model(op, rank, "cropping"), infer=_cropping_shape(op, rank),
                    family="reshape", positional="cropping", doc=what,
                    label=lambda p: borders_text(_pairs(rank, p.cropping)))


class UpSampling1DParams(LayerParams):
    """Arguments of ``keras.layers.UpSampling1D`` (one integer factor, no ``data_format``, as in Keras)."""

    size: PositiveInt = Field(2, description="Upsampling factor of the steps axis: each step is repeated `size` "
                                             "times.")


class UpSampling2DParams(LayerParams):
    """Arguments of ``keras.layers.UpSampling2D``."""

    size: IntPair = Field((2, 2), description="Upsampling factors for height and width: `2` or `[2, 3]`.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    interpolation: Literal["nearest", "bilinear"] = Field(
        "nearest", description="`nearest` repeats each row and column; `bilinear` interpolates between them.")


class UpSampling3DParams(LayerParams):
    """Arguments of ``keras.layers.UpSampling3D`` (nearest neighbour only, as in Keras)."""

    size: sizes(3) = Field(  # type: ignore[valid-type]
        (2, 2, 2), description="Upsampling factors for depth, height and width: `2` or `[1, 2, 2]`.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


def _upsampling_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
        factors = p.size if isinstance(p.size, tuple) else (p.size,)
        return (*(None if n is None else n * s for n, s in zip(x[:-1], factors)), x[-1])
    return infer


def _upsampling_flops(p: Any, ins: list[Shape], out: Shape) -> int:
    # Nearest repeats each axis in turn; the profiler only sees, per repeated axis, one multiplication of a
    # shape element (1D: 1, 3D: 3); in 2D a two-element shape vector is multiplied (2). Bilinear: 0.
    if getattr(p, "interpolation", "nearest") != "nearest":
        return 0
    return len(p.size) if isinstance(p.size, tuple) else 1


def upsampling(rank: int) -> LayerDef:
    """The registry entry of ``UpSampling<rank>D``."""
    op = f"UpSampling{rank}D"
    params = {1: UpSampling1DParams, 2: UpSampling2DParams, 3: UpSampling3DParams}[rank]
    what = {1: "Repeats each step `size` times.",
            2: "Repeats rows and columns `size` times (or interpolates bilinearly).",
            3: "Repeats planes, rows and columns `size` times."}[rank]
    return LayerDef(op=op, params=params, infer=_upsampling_shape(op, rank), count_flops=_upsampling_flops,
                    family="reshape", positional="size", doc=what, label=lambda p: "×" + size_text(p.size))


ZERO_PADDING2D, CROPPING2D, UPSAMPLING2D = zero_padding(2), cropping(2), upsampling(2)

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


LAYERS = (FLATTEN, RESHAPE, ZERO_PADDING2D, CROPPING2D, UPSAMPLING2D, PERMUTE, REPEAT_VECTOR,
          *(make(rank) for rank in (1, 3) for make in (zero_padding, cropping, upsampling)))
