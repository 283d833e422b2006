"""Normalisation layers: BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization.

Inference-time FLOPs as TensorFlow's profiler counts Keras's graphs (N elements, C channels):

* BatchNormalization folds the statistics per channel (``rsqrt(var + eps)`` — built twice, ``* gamma``,
  ``mean * inv``, ``beta - ...``: 5C, 6C with ``scale``) and then applies ``x * inv + shift`` (2N).
* LayerNormalization computes mean and variance (4N: both reductions appear twice in the graph), the inverse
  standard deviation per group (4M for M normalised groups), then ``x * inv + (beta - mean * inv)``; with ``scale``
  the products are element-wise (3N), without it ``mean * inv`` is per group (N + M); ``center`` adds N, the final
  add N. With ``rms_scaling`` the profiler counts ``6N + 3M``.
* GroupNormalization computes mean and variance per group (4N), ``rsqrt(var + eps)`` twice and ``-mean`` per
  group (3G), then ``x * inv + res`` (2N) and ``var + eps`` (G). With ``scale``, ``inv * gamma`` and
  ``-mean * inv`` are per channel (2C; G without it); ``center`` adds beta per channel (C).
* UnitNormalization squares (N), sums over the axes (N - M for M vectors), takes ``rsqrt(max(sum, eps))`` (3M,
  the reciprocal root counted twice) and multiplies (N): ``3N + 2M``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Optional, Union

from pydantic import BeforeValidator, Field, field_validator

from .base import (
    MAX_SIZE, Axis, InitializerArg, LayerDef, LayerParams, RegularizerArg, Shape, ShapeError, doc_initializer,
    axes_tuple, doc_regularizer, numel, require_known, resolve_axis,
)
from .labels import axis_text, no_label

PositiveFloat = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
UnitFloat = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]

_EPSILON = "Small number added to the variance before the square root, to avoid dividing by zero."
_CENTER = "Whether to add the trainable offset beta after normalising."
_SCALE = "Whether to multiply by the trainable factor gamma after normalising."


class BatchNormalizationParams(LayerParams):
    """Arguments of ``keras.layers.BatchNormalization``. ``axis`` is the channel axis (``3`` or ``-1`` for images)."""

    axis: Axis = Field(-1, description="The channel axis: each index along it has its own statistics, gamma and "
                                       "beta (0 is the batch; -1 the last axis, 3 for images).")
    momentum: UnitFloat = Field(0.99, description="Weight of the old value when the moving mean and variance are "
                                                  "updated in training.")
    epsilon: PositiveFloat = Field(0.001, description=_EPSILON)
    center: bool = Field(True, description=_CENTER)
    scale: bool = Field(True, description=_SCALE)
    beta_initializer: InitializerArg = Field("zeros", description=doc_initializer("beta"))
    gamma_initializer: InitializerArg = Field("ones", description=doc_initializer("gamma"))
    moving_mean_initializer: InitializerArg = Field("zeros", description=doc_initializer("the moving mean"))
    moving_variance_initializer: InitializerArg = Field("ones", description=doc_initializer("the moving variance"))
    beta_regularizer: RegularizerArg = Field(None, description=doc_regularizer("beta"))
    gamma_regularizer: RegularizerArg = Field(None, description=doc_regularizer("gamma"))


def _bn_channels(p: BatchNormalizationParams, x: Shape) -> int:
    return require_known("BatchNormalization", x, resolve_axis("BatchNormalization", p.axis, x), "normalised axis")


def _bn_shape(p: BatchNormalizationParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    _bn_channels(p, x)
    return x


def _bn_params(p: BatchNormalizationParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    c = _bn_channels(p, ins[0])
    return ((int(p.center) + int(p.scale)) * c, 2 * c)


def _bn_flops(p: BatchNormalizationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    if n is None:
        return None
    c = _bn_channels(p, ins[0])
    return 2 * n + (6 if p.scale else 5) * c


BATCH_NORMALIZATION = LayerDef(
    op="BatchNormalization", params=BatchNormalizationParams, infer=_bn_shape, count_params=_bn_params,
    count_flops=_bn_flops, family="norm", positional="axis",
    doc="Normalises each channel with batch statistics (moving averages at inference); gamma and beta are "
        "trainable, the moving mean and variance are not.",
    label=no_label,  # the channel axis, momentum and epsilon are the usual ones in nearly every network
)


class LayerNormalizationParams(LayerParams):
    """Arguments of ``keras.layers.LayerNormalization``; ``axis`` is one axis or a list of axes."""

    axis: Annotated[
        Union[Axis, Annotated[tuple[Axis, ...], Field(min_length=1, max_length=8)]], BeforeValidator(axes_tuple)
    ] = Field(-1, description="The axis or list of axes each sample is normalised over (0 is the batch; -1 the "
                              "last axis).")
    epsilon: PositiveFloat = Field(0.001, description=_EPSILON)
    center: bool = Field(True, description=_CENTER)
    scale: bool = Field(True, description=_SCALE)
    rms_scaling: bool = Field(False, description="Root-mean-square normalisation: divide by the RMS over the axes "
                                                 "and multiply by gamma, without centring or beta (center and "
                                                 "scale are then ignored). Keras marks it deprecated.")
    beta_initializer: InitializerArg = Field("zeros", description=doc_initializer("beta"))
    gamma_initializer: InitializerArg = Field("ones", description=doc_initializer("gamma"))
    beta_regularizer: RegularizerArg = Field(None, description=doc_regularizer("beta"))
    gamma_regularizer: RegularizerArg = Field(None, description=doc_regularizer("gamma"))

    def to_config(self) -> dict[str, Any]:
        out = super().to_config()
        if isinstance(self.axis, tuple):
            out["axis"] = list(self.axis)
        return out


def _ln_axes(p: LayerNormalizationParams, x: Shape) -> list[int]:
    axes = [p.axis] if isinstance(p.axis, int) else list(p.axis)
    idx = sorted({resolve_axis("LayerNormalization", a, x) for a in axes})
    if len(idx) != len(axes):
        raise ShapeError(f"LayerNormalization expects distinct axes. Received: axis={p.axis}, input_shape={x}")
    for i in idx:
        require_known("LayerNormalization", x, i, "normalised")
    return idx


def _ln_shape(p: LayerNormalizationParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    _ln_axes(p, x)
    return x


def _ln_params(p: LayerNormalizationParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    x = ins[0]
    size = math.prod(x[i] for i in _ln_axes(p, x))  # type: ignore[misc]
    if p.rms_scaling:
        return (size, 0)  # gamma only
    return ((int(p.center) + int(p.scale)) * size, 0)


def _ln_flops(p: LayerNormalizationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    n = numel(x)
    if n is None:
        return None
    m = n // math.prod(x[i] for i in _ln_axes(p, x))  # type: ignore[misc]
    if p.rms_scaling:
        return 6 * n + 3 * m  # x * x, its mean (2N), + eps, rsqrt (2M), x * inv, * gamma, and the variance graph
    flops = 4 * n + 4 * m + n  # moments, rsqrt(var + eps), -mean, final add
    flops += 3 * n if p.scale else n + m
    return flops + (n if p.center else 0)


LAYER_NORMALIZATION = LayerDef(
    op="LayerNormalization", params=LayerNormalizationParams, infer=_ln_shape, count_params=_ln_params,
    count_flops=_ln_flops, family="norm", positional="axis",
    doc="Normalises each sample over `axis` (default the last), then scales by gamma and shifts by beta.",
    label=lambda p: "" if p.axis == -1 else axis_text(p.axis),
)



class GroupNormalizationParams(LayerParams):
    """Arguments of ``keras.layers.GroupNormalization``: channels split into ``groups``, each normalised per sample."""

    groups: Annotated[int, Field(strict=True, ge=-1, le=MAX_SIZE)] = Field(
        32, description="Number of groups the channels are split into (it must divide the number of channels); "
                        "-1 for one group per channel (instance normalisation).")
    axis: Axis = Field(-1, description="The channel axis, split into the groups (0 is the batch; -1 the last "
                                       "axis).")
    epsilon: PositiveFloat = Field(0.001, description=_EPSILON)
    center: bool = Field(True, description=_CENTER)
    scale: bool = Field(True, description=_SCALE)
    beta_initializer: InitializerArg = Field("zeros", description=doc_initializer("beta"))
    gamma_initializer: InitializerArg = Field("ones", description=doc_initializer("gamma"))
    beta_regularizer: RegularizerArg = Field(None, description=doc_regularizer("beta"))
    gamma_regularizer: RegularizerArg = Field(None, description=doc_regularizer("gamma"))

    @field_validator("groups")
    @classmethod
    def _positive_or_instance(cls, v: int) -> int:
        if v == 0:
            raise ValueError("groups must be a positive number of groups, or -1 for one group per channel "
                             "(instance normalisation). Received: groups=0")
        return v


def _gn_channels_groups(p: GroupNormalizationParams, x: Shape) -> tuple[int, int]:
    c = require_known("GroupNormalization", x, resolve_axis("GroupNormalization", p.axis, x), "channel")
    g = c if p.groups == -1 else p.groups
    if g > c or c % g:
        fits = [d for d in range(1, c + 1) if c % d == 0]
        raise ShapeError(f"GroupNormalization expects `groups` to divide the number of channels ({c}) into equal "
                         f"groups: use one of {', '.join(map(str, fits))} (or -1, one group per channel). "
                         f"Received: groups={p.groups}, axis={p.axis}, input_shape={x}")
    return c, g


def _gn_shape(p: GroupNormalizationParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    _gn_channels_groups(p, x)
    return x


def _gn_params(p: GroupNormalizationParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    c, _ = _gn_channels_groups(p, ins[0])
    return ((int(p.center) + int(p.scale)) * c, 0)


def _gn_flops(p: GroupNormalizationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    n = numel(x)
    if n is None:
        return None
    c, g = _gn_channels_groups(p, x)
    flops = 4 * n + 3 * g + 2 * n + g  # moments; rsqrt twice and -mean; x * inv + res; var + eps
    flops += 2 * c if p.scale else g  # inv * gamma and -mean * inv per channel, or -mean * inv per group
    return flops + (c if p.center else 0)


def _gn_label(p: GroupNormalizationParams) -> str:
    return ("instance" if p.groups == -1 else f"{p.groups} groups") + ("" if p.axis == -1 else f", axis {p.axis}")


GROUP_NORMALIZATION = LayerDef(
    op="GroupNormalization", params=GroupNormalizationParams, infer=_gn_shape, count_params=_gn_params,
    count_flops=_gn_flops, family="norm", positional="groups",
    doc="Splits the channels into `groups` and normalises each group of each sample over its channels and "
        "positions, then scales by gamma and shifts by beta (one per channel). `groups` must divide the channels; "
        "-1 is instance normalisation.",
    label=_gn_label,
)


class UnitNormalizationParams(LayerParams):
    """Arguments of ``keras.layers.UnitNormalization``: each vector along ``axis`` scaled to length 1."""

    axis: Annotated[
        Union[Axis, Annotated[tuple[Axis, ...], Field(min_length=1, max_length=8)]], BeforeValidator(axes_tuple)
    ] = Field(-1, description="The axis or list of axes whose vectors are scaled to unit L2 norm (0 is the batch; "
                              "-1 the last axis).")

    def to_config(self) -> dict[str, Any]:
        out = super().to_config()
        if isinstance(self.axis, tuple):
            out["axis"] = list(self.axis)
        return out


def _un_axes(p: UnitNormalizationParams, x: Shape) -> list[int]:
    axes = [p.axis] if isinstance(p.axis, int) else list(p.axis)
    idx = sorted({resolve_axis("UnitNormalization", a, x) for a in axes})
    if len(idx) != len(axes):
        raise ShapeError(f"UnitNormalization expects distinct axes. Received: axis={p.axis}, input_shape={x}")
    return idx


def _un_shape(p: UnitNormalizationParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    _un_axes(p, x)
    return x


def _un_flops(p: UnitNormalizationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    n = numel(x)
    if n is None:
        return None
    m = numel(tuple(d for i, d in enumerate(x) if i not in _un_axes(p, x)))
    return 3 * n + 2 * m  # type: ignore[operator]


UNIT_NORMALIZATION = LayerDef(
    op="UnitNormalization", params=UnitNormalizationParams, infer=_un_shape, count_flops=_un_flops, family="norm",
    positional="axis", doc="Divides each vector along `axis` by its L2 norm (no weights).",
    label=lambda p: "" if p.axis == -1 else axis_text(p.axis),
)

LAYERS = (BATCH_NORMALIZATION, LAYER_NORMALIZATION, GROUP_NORMALIZATION, UNIT_NORMALIZATION)
