"""Preprocessing layers that sit in the model: Normalization, Resizing and CenterCrop (Rescaling is in core.py).

Normalization computes ``(x - mean) / max(sqrt(variance), eps)`` (``invert``: ``mean + x * max(sqrt(variance),
eps)``) with one mean and variance per index of its kept axes. Given ``mean`` and ``variance`` they are constants of
the graph; otherwise they are three non-trainable weights (mean, variance and a scalar count, as Keras makes them),
set by ``adapt()`` or by loading weights.

Inference-time FLOPs as TensorFlow's profiler counts Keras's graphs (N elements, K = the number of mean/variance
values):

* Normalization: a subtraction and a division per element (an addition and a multiplication with ``invert``), and
  the ``maximum(sqrt(variance), eps)`` per statistic: ``2N + K`` (``sqrt`` itself is not counted).
* Resizing: the resize kernels are invisible to the profiler (0 whatever the interpolation); what it sees is the
  arithmetic on the shape: 2 for the scale of a resampling kernel (``lanczos3``/``lanczos5``, and ``bilinear`` or
  ``bicubic`` with ``antialias``; ``nearest`` and ``area`` ignore ``antialias``), 14 for
  ``crop_to_aspect_ratio`` (the crop box), 12 for ``pad_to_aspect_ratio`` (the padded box) plus one
  multiplication per element of the padding (``ones * fill_value``), when the input needs padding.
* CenterCrop: 0 (a slice, or a resize when the input is smaller than the crop).

Resizing and CenterCrop take images, (height, width, channels) without the batch. Keras would also take an input of
two dimensions, reading it as one image without a batch axis, which inside a model resizes the batch axis: archc
reports that as a shape error instead.
"""

from __future__ import annotations

import math
import struct
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, Field, model_validator

from .base import (
    DOC_DATA_FORMAT, MAX_SIZE, Axis, DataFormat, Float, LayerDef, LayerParams, Numbers, Shape, ShapeError,
    axes_tuple, flat_values, nested_shape, numel, require_known, require_rank, resolve_axis,
)
from .labels import axis_text

# ---------------------------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------------------------


class NormalizationParams(LayerParams):
    """Arguments of ``keras.layers.Normalization``: per-index mean and variance of the kept axes, given or adapted."""

    axis: Annotated[
        Union[None, Axis, Annotated[tuple[Axis, ...], Field(min_length=1, max_length=8)]], BeforeValidator(axes_tuple)
    ] = Field(-1, description="The axis or axes that keep a separate mean and variance per index (-1: one per "
                              "feature of the last axis); null for one scalar mean and variance.")
    mean: Optional[Numbers] = Field(
        None, description="The mean to subtract: a number, or a list per index of the kept axes (broadcast from "
                          "the right). Given with `variance`, it is a constant; null (with `variance` null) makes "
                          "mean and variance non-trainable weights, set by `adapt()` or loaded weights.")
    variance: Optional[Numbers] = Field(
        None, description="The variance to divide by (its square root): a number or a list shaped like `mean`; "
                          "given exactly when `mean` is.")
    invert: bool = Field(False, description="Apply the inverse: `mean + x * sqrt(variance)`, turning normalised "
                                            "values back into the original scale.")

    @model_validator(mode="after")
    def _mean_and_variance(self) -> "NormalizationParams":
        if (self.mean is None) != (self.variance is None):
            raise ValueError(f"Normalization takes `mean` and `variance` together (both or neither). Received: "
                             f"mean={self.mean}, variance={self.variance}")
        if self.mean is not None:
            m, v = nested_shape(self.mean, "mean"), nested_shape(self.variance, "variance")
            if m != v:
                raise ValueError(f"Normalization expects `mean` and `variance` of the same shape. Received: mean "
                                 f"of shape {m}, variance of shape {v}")
            axes = 0 if self.axis is None else 1 if isinstance(self.axis, int) else len(self.axis)
            if len(m) > axes:
                raise ValueError(f"Normalization expects `mean` of rank at most the number of kept axes ({axes}). "
                                 f"Received: mean of shape {m} for axis={self.axis}")
            negative = [x for x in flat_values(self.variance) if x < 0]
            if negative:
                raise ValueError(f"Normalization expects a variance >= 0 everywhere (its square root is taken). "
                                 f"Received: variance={self.variance}")
        return self

    def to_config(self) -> dict[str, Any]:
        out = super().to_config()
        if isinstance(self.axis, tuple):
            out["axis"] = list(self.axis)
        return out


def _norm_kept(p: NormalizationParams, x: Shape) -> list[int]:
    """Indices (into the batch-less ``x``) of the kept axes, checked: distinct, not the batch, known."""
    axes = [] if p.axis is None else [p.axis] if isinstance(p.axis, int) else list(p.axis)
    idx = sorted({resolve_axis("Normalization", a, x) for a in axes})
    if len(idx) != len(axes):
        raise ShapeError(f"Normalization expects distinct axes. Received: axis={p.axis}, input_shape={x}")
    for i in idx:
        require_known("Normalization", x, i, "kept-axis")
    return idx


def _norm_shape(p: NormalizationParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    kept = _norm_kept(p, x)
    if p.mean is not None:
        target = tuple(x[i] for i in kept)
        m = nested_shape(p.mean, "mean")
        # mean's axes line up with the last kept axes; each is the kept axis's size or 1
        if any(d not in (1, t) for d, t in zip(reversed(m), reversed(target))):
            raise ShapeError(f"Normalization expects `mean` and `variance` to broadcast to the shape of the kept "
                             f"axes {target} (each dimension that size or 1, aligned from the right). Received: "
                             f"mean of shape {m}, axis={p.axis}, input_shape={x}")
    return x


def _norm_statistics(p: NormalizationParams, x: Shape) -> int:
    return math.prod(x[i] for i in _norm_kept(p, x))  # type: ignore[misc]


def _norm_params(p: NormalizationParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    if p.mean is not None:
        return (0, 0)
    return (0, 2 * _norm_statistics(p, ins[0]) + 1)  # mean, variance and the scalar count


def _norm_flops(p: NormalizationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else 2 * n + _norm_statistics(p, ins[0])


def _norm_label(p: NormalizationParams) -> str:
    parts = [] if p.axis == -1 else ["all" if p.axis is None else axis_text(p.axis)]
    if p.invert:
        parts.append("invert")
    if p.mean is not None:
        parts.append("fixed")
    return ", ".join(parts)


NORMALIZATION = LayerDef(
    op="Normalization", params=NormalizationParams, infer=_norm_shape, count_params=_norm_params,
    count_flops=_norm_flops, family="norm",  # no shorthand: `Normalization: null` would read as the default axis
    doc="Standardises its input as `(x - mean) / sqrt(variance)`, one mean and variance per index of `axis` (null: "
        "one for everything). Given `mean` and `variance`, they are constants; otherwise they are non-trainable "
        "weights (mean, variance and a count), set with `adapt()` on the built model or by loading weights.",
    label=_norm_label,
)


# ---------------------------------------------------------------------------------------------------------------
# Resizing and CenterCrop
# ---------------------------------------------------------------------------------------------------------------

#: A target height or width.
TargetSize = Annotated[int, Field(strict=True, ge=1, le=MAX_SIZE)]


def _image_input(op: str, ins: list[Shape]) -> Shape:
    (x,) = ins
    require_rank(op, x, 3, "height, width, channels")
    return x


class ResizingParams(LayerParams):
    """Arguments of ``keras.layers.Resizing``: the output's height and width and how the image is fitted into it."""

    height: TargetSize = Field(description="Height of the output images.")
    width: TargetSize = Field(description="Width of the output images.")
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = Field(
        "bilinear", description="How output pixels are computed from the input's.")
    crop_to_aspect_ratio: bool = Field(
        False, description="Crop the largest centred window of the target aspect ratio before resizing, so that "
                           "the image is not distorted.")
    pad_to_aspect_ratio: bool = Field(
        False, description="Pad the short side evenly (with `fill_value`) to the target aspect ratio before "
                           "resizing, so that the image is not distorted.")
    fill_mode: Literal["constant"] = Field(
        "constant", description="How the padding of `pad_to_aspect_ratio` is filled (only `constant`).")
    fill_value: Float = Field(0.0, description="The value of the padding of `pad_to_aspect_ratio`.")
    antialias: bool = Field(False, description="Filter the image when downsampling, against aliasing.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)

    @model_validator(mode="after")
    def _one_aspect_mode(self) -> "ResizingParams":
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError("Resizing takes at most one of crop_to_aspect_ratio and pad_to_aspect_ratio. "
                             "Received: both true")
        return self


def _resizing_shape(p: ResizingParams, ins: list[Shape]) -> Shape:
    x = _image_input("Resizing", ins)
    return (p.height, p.width, x[2])


def _f32(v: float) -> float:
    """``v`` rounded to float32, as the graph computes the aspect-ratio box."""
    return struct.unpack("f", struct.pack("f", v))[0]


def _resizing_flops(p: ResizingParams, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    # the scale of the resampling kernel: lanczos always, bilinear and bicubic with antialias
    kernel = p.interpolation.startswith("lanczos") or (p.antialias and p.interpolation in ("bilinear", "bicubic"))
    flops = 2 if kernel else 0
    if p.crop_to_aspect_ratio:
        return flops + 14
    if not p.pad_to_aspect_ratio:
        return flops
    h, w, c = x
    if h is None or w is None or c is None:
        return None
    pad_h = max(h, int(_f32(_f32(w * p.height) / p.width)))
    pad_w = max(w, int(_f32(_f32(h * p.width) / p.height)))
    top, left = int((pad_h - h) / 2), int((pad_w - w) / 2)
    # ones(...) * fill_value above and below (top rows), or left and right (left columns) of the image
    return flops + 12 + (2 * top * w * c if top > 0 else 0) + (2 * h * left * c if left > 0 else 0)


def _resizing_label(p: ResizingParams) -> str:
    parts = [f"{p.height}×{p.width}"]
    if p.interpolation != "bilinear":
        parts.append(p.interpolation)
    if p.crop_to_aspect_ratio:
        parts.append("crop")
    if p.pad_to_aspect_ratio:
        parts.append("pad")
    return ", ".join(parts)


RESIZING = LayerDef(
    op="Resizing", params=ResizingParams, infer=_resizing_shape, count_flops=_resizing_flops, family="reshape",
    doc="Resizes images to `height` x `width` (bilinear by default); `crop_to_aspect_ratio` or "
        "`pad_to_aspect_ratio` keep the image undistorted.",
    label=_resizing_label,
)


class CenterCropParams(LayerParams):
    """Arguments of ``keras.layers.CenterCrop``: the size of the central window kept."""

    height: TargetSize = Field(description="Height of the output images (the centred window).")
    width: TargetSize = Field(description="Width of the output images (the centred window).")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)


def _center_crop_shape(p: CenterCropParams, ins: list[Shape]) -> Shape:
    x = _image_input("CenterCrop", ins)
    return (p.height, p.width, x[2])


CENTER_CROP = LayerDef(
    op="CenterCrop", params=CenterCropParams, infer=_center_crop_shape, family="reshape",
    doc="Keeps the central `height` x `width` window of each image; an image smaller than that is first resized "
        "(keeping its aspect ratio) to cover it.",
    label=lambda p: f"{p.height}×{p.width}",
)

LAYERS = (NORMALIZATION, RESIZING, CENTER_CROP)
