"""Convolution layers over 1, 2 or 3 spatial axes (channels-last), from one rank-generic definition per kind.

Four kinds, each defined once for every rank Keras has it in (:func:`convolution`):

* ``conv``: Conv1D, Conv2D, Conv3D (``groups`` split the channels into independent convolutions);
* ``transpose``: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (``output_padding``);
* ``depthwise``: DepthwiseConv1D, DepthwiseConv2D (``depth_multiplier`` kernels per input channel);
* ``separable``: SeparableConv1D, SeparableConv2D (a depthwise convolution, then a 1x1 one to ``filters``).

Output size per spatial axis: ``valid`` -> ``floor((n - ((k - 1) * d + 1)) / s) + 1``, ``same`` -> ``ceil(n / s)``,
``causal`` (Conv1D) -> ``n``. A transposed convolution, with ``K = (k - 1) * d + 1``: ``valid`` ->
``(n - 1) * s + max(K, s)``, ``same`` -> ``n * s``; with ``output_padding`` ``p``: ``valid`` ->
``(n - 1) * s + K + p``, ``same`` -> ``(n - 1) * s + K % 2 + p`` (Keras's formulas). FLOPs follow TensorFlow's
profiler, including its count of dilated and transposed convolutions (see the FLOP convention in
:mod:`archcompiler.layers.base`).
"""

from __future__ import annotations

import math
from typing import Any, Literal, Optional, Sequence

from pydantic import Field, create_model, model_validator

from .activations import activation_flops, add_flops
from .base import (
    DOC_ACTIVATION, DOC_DATA_FORMAT, DOC_PADDING, DOC_USE_BIAS, SPATIAL_AXES, ActivationName, DataFormat, Dim,
    InferFn, InitializerArg, LayerDef, LayerParams, NonNegativeInt, PaddingMode, PositiveInt,
    RegularizerArg, Shape, ShapeError, check_spatial, doc_initializer, doc_regularizer, kernel_macs, numel,
    require_known, require_rank, sizes, window_output_dim,
)
from .labels import activation_text, size_text, stride_text

__all__ = ["LAYERS", "conv_output", "convolution", "profiled_positions", "transpose_output"]

_FILTERS = "Number of output channels (convolution kernels)."
_GROUPS = ("Number of groups the input channels are split into, each convolved separately; input channels and "
           "filters must be divisible by it.")
_DEPTH_MULTIPLIER = "Number of depthwise kernels (output channels) per input channel."
_CAUSAL = " `causal`: padding on the left only, so that an output step sees no later input step."

#: What the per-axis arguments are called in their descriptions, by rank.
_AXES_TEXT = {1: "steps axis", 2: "height and width", 3: "depth, height and width"}


def _kernel_doc(rank: int, what: str = "convolution") -> str:
    if rank == 1:
        return f"Length of the {what} window: `3` or `[3]`."
    if rank == 2:
        return f"Height and width of the {what} window: `3` or `[3, 3]`."
    return f"Depth, height and width of the {what} window: `3` or `[3, 3, 3]`."


def _strides_doc(rank: int, transpose: bool = False) -> str:
    if rank == 1:
        return ("Step of the window along the steps axis: `2` doubles the output." if transpose else
                "Step of the window along the steps axis: `2` halves the output.")
    example = "`2` or `[2, 2]`" if rank == 2 else "`2` or `[2, 2, 2]`"
    effect = "doubles" if transpose else "halves"
    return f"Step of the window along {_AXES_TEXT[rank]}: {example} {effect} the output size."


def _dilation_doc(rank: int) -> str:
    if rank == 1:
        return "Spacing between kernel taps; cannot be combined with strides > 1."
    example = "`2` or `[2, 2]`" if rank == 2 else "`2` or `[2, 2, 2]`"
    return f"Spacing between kernel taps (atrous convolution): {example}; cannot be combined with strides > 1."


_OUTPUT_PADDING = ("Extra rows (per axis) added to one side of the output, below the stride: an output size other "
                   "than the default among those a strided convolution maps to the same input size; null lets Keras "
                   "infer it.")


def _ones(rank: int) -> Any:
    return 1 if rank == 1 else (1,) * rank


def _check_strides_dilation(strides: Sequence[int], dilation_rate: Sequence[int]) -> None:
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"strides > 1 cannot be combined with dilation_rate > 1. "
                         f"Received: strides={tuple(strides)}, dilation_rate={tuple(dilation_rate)}")


def _tup(v: Any) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, tuple) else (v,)


class ConvolutionParams(LayerParams):
    """The checks every convolution's arguments share (each rank and kind adds its fields, see
    :func:`convolution`): strides > 1 and dilation > 1 exclude each other; ``filters`` is divisible by ``groups``;
    ``output_padding`` is below the stride on every axis."""

    @model_validator(mode="after")
    def _check(self) -> "ConvolutionParams":
        _check_strides_dilation(_tup(self.strides), _tup(self.dilation_rate))  # type: ignore[attr-defined]
        groups = getattr(self, "groups", 1)
        if self.filters_or_none is not None and self.filters_or_none % groups:
            raise ValueError(f"filters must be divisible by groups. Received: filters={self.filters_or_none}, "
                             f"groups={groups}")
        pad = getattr(self, "output_padding", None)
        if pad is not None:
            strides = _tup(self.strides)  # type: ignore[attr-defined]
            if any(p >= s for p, s in zip(_tup(pad), strides)):
                raise ValueError(f"output_padding must be below strides on every axis. Received: "
                                 f"output_padding={pad}, strides={self.strides}")  # type: ignore[attr-defined]
        return self

    @property
    def filters_or_none(self) -> Optional[int]:
        """``filters``, or None for a depthwise convolution (its output channels follow its input)."""
        return getattr(self, "filters", None)


def _params_model(op: str, rank: int, kind: str) -> type[LayerParams]:
    """The arguments model of ``keras.layers.<op>``: Keras's names, order and defaults for a convolution of
    ``kind`` over ``rank`` spatial axes."""
    size, one = sizes(rank), _ones(rank)
    f: dict[str, Any] = {}
    if kind != "depthwise":
        f["filters"] = (PositiveInt, Field(description="Number of output channels of the pointwise (1x1) "
                                                       "convolution." if kind == "separable" else _FILTERS))
    f["kernel_size"] = (size, Field(description=_kernel_doc(rank, "depthwise" if kind == "separable" else
                                                            "convolution")))
    f["strides"] = (size, Field(one, description=_strides_doc(rank, kind == "transpose")))
    if kind == "conv" and rank == 1:
        f["padding"] = (Literal["valid", "same", "causal"], Field("valid", description=DOC_PADDING + _CAUSAL))
    elif kind == "transpose":
        f["padding"] = (PaddingMode, Field("valid", description="`valid`: no padding (the output grows by the "
                                                                "window beyond the strided input); `same`: the "
                                                                "output size is input x strides."))
    else:
        f["padding"] = (PaddingMode, Field("valid", description=DOC_PADDING))
    if kind == "transpose":
        f["output_padding"] = (Optional[sizes(rank, NonNegativeInt)], Field(None, description=_OUTPUT_PADDING))
    if kind == "depthwise":
        f["depth_multiplier"] = (PositiveInt, Field(1, description=_DEPTH_MULTIPLIER))
    f["data_format"] = (DataFormat, Field(None, description=DOC_DATA_FORMAT))
    f["dilation_rate"] = (size, Field(one, description=_dilation_doc(rank)))
    if kind == "conv":
        f["groups"] = (PositiveInt, Field(1, description=_GROUPS))
    if kind == "separable":
        f["depth_multiplier"] = (PositiveInt, Field(1, description="Number of depthwise kernels per input channel "
                                                                   "(the intermediate channels are input channels "
                                                                   "x this)."))
    f["activation"] = (Optional[ActivationName], Field(None, description=DOC_ACTIVATION))
    f["use_bias"] = (bool, Field(True, description=DOC_USE_BIAS))
    kernels = {"conv": ["kernel"], "transpose": ["kernel"], "depthwise": ["depthwise"],
               "separable": ["depthwise", "pointwise"]}[kind]

    def what(k: str) -> str:
        return "the kernel" if k == "kernel" else f"the {k} kernel"
    for k in kernels:
        f[f"{k}_initializer"] = (InitializerArg, Field("glorot_uniform", description=doc_initializer(what(k))))
    f["bias_initializer"] = (InitializerArg, Field("zeros", description=doc_initializer("the bias")))
    for k in kernels:
        f[f"{k}_regularizer"] = (RegularizerArg, Field(None, description=doc_regularizer(what(k))))
    f["bias_regularizer"] = (RegularizerArg, Field(None, description=doc_regularizer("the bias")))
    return create_model(f"{op}Params", __base__=ConvolutionParams, __module__=__name__,
                        __doc__=f"Arguments of ``keras.layers.{op}``.", **f)


# ---------------------------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------------------------


def conv_output(op: str, x: Shape, kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
                padding: str) -> tuple[Dim, ...]:
    """Spatial output dimensions of a convolution over the leading axes of ``x`` (all but channels).

    Raises:
        ShapeError: E402 when an output dimension would be below 1.
    """
    spatial = x[:-1]
    out = tuple(window_output_dim(n, k, s, d, padding) for n, k, s, d in zip(spatial, kernel, strides, dilation))
    check_spatial(op, out, x, kernel_size=tuple(kernel), strides=tuple(strides), dilation_rate=tuple(dilation),
                  padding=padding)
    return out


def transpose_output(n: Dim, k: int, s: int, d: int, padding: str, output_padding: Optional[int]) -> Dim:
    """Output length of a transposed convolution along one axis, as Keras computes it; None stays None."""
    if n is None:
        return None
    span = (k - 1) * d + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        return (n - 1) * s + span + extra
    return n * s if output_padding is None else (n - 1) * s + span % 2 + output_padding


def _geometry(p: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(kernel, strides, dilation) as tuples, for every rank."""
    return _tup(p.kernel_size), _tup(p.strides), _tup(p.dilation_rate)


def _input(op: str, x: Shape, rank: int) -> int:
    """Checks the input's rank; returns its (known) channels."""
    require_rank(op, x, rank + 1, f"{SPATIAL_AXES[rank]}, channels")
    return require_known(op, x, -1, "channel")


def _conv_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        c = _input(op, x, rank)
        if c % p.groups:
            raise ShapeError(f"{op} expects the input channels to be divisible by groups. Received: groups={p.groups},"
                             f" input_shape={x}")
        kernel, strides, dilation = _geometry(p)
        return (*conv_output(op, x, kernel, strides, dilation, p.padding), p.filters)
    return infer


def _transpose_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        _input(op, x, rank)
        kernel, strides, dilation = _geometry(p)
        pads = _tup(p.output_padding) if p.output_padding is not None else (None,) * rank
        out = tuple(transpose_output(n, k, s, d, p.padding, q)
                    for n, k, s, d, q in zip(x[:-1], kernel, strides, dilation, pads))
        check_spatial(op, out, x, kernel_size=kernel, strides=strides, padding=p.padding,
                      output_padding=p.output_padding)
        return (*out, p.filters)
    return infer


def _depthwise_shape(op: str, rank: int) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        c = _input(op, x, rank)
        kernel, strides, dilation = _geometry(p)
        spatial = conv_output(op, x, kernel, strides, dilation, p.padding)
        return (*spatial, getattr(p, "filters", c * p.depth_multiplier))
    return infer


# ---------------------------------------------------------------------------------------------------------------
# Parameters, FLOPs, MACs
# ---------------------------------------------------------------------------------------------------------------


def profiled_positions(x: Shape, out: Shape, kernel: Sequence[int], dilation: Sequence[int],
                       padding: str) -> Optional[int]:
    """Output positions (per channel) that TensorFlow's profiler counts for a convolution.

    Without dilation, the true output size. With dilation, TensorFlow runs space-to-batch: each axis is padded
    (``same``/``causal``: by ``(k - 1) * d``) up to a multiple of ``d``, split into ``d`` blocks, and convolved
    ``valid`` with the undilated kernel, giving ``d * (ceil(P / d) - k + 1)`` positions per axis.
    """
    if all(d == 1 for d in dilation):
        return numel(out[:-1])
    total = 1
    for n, k, d in zip(x[:-1], kernel, dilation):
        if n is None:
            return None
        padded = n + (k - 1) * d if padding != "valid" else n
        total *= d * (-(-padded // d) - k + 1)
    return total


def _bias_and_activation(use_bias: bool, activation: Optional[str], out: Shape) -> Optional[int]:
    n = numel(out)
    bias = (n if use_bias else 0) if n is not None else None
    return add_flops(bias, activation_flops(activation, out))


def _taps(p: Any) -> int:
    """Kernel taps per channel pair: the product of the kernel sizes."""
    return math.prod(_tup(p.kernel_size))


def _bias(p: Any, channels: int) -> int:
    return channels if p.use_bias else 0


def _conv_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    c = ins[0][-1]
    return (_taps(p) * (c // p.groups) * p.filters + _bias(p, p.filters), 0)


def _conv_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    kernel, _, dilation = _geometry(p)
    x = ins[0]
    positions = profiled_positions(x, out, kernel, dilation, p.padding)
    if positions is None:
        return None
    return add_flops(2 * _taps(p) * (x[-1] // p.groups) * p.filters * positions,
                     _bias_and_activation(p.use_bias, p.activation, out))


def _conv_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    return kernel_macs(_taps(p) * (ins[0][-1] // p.groups) * p.filters, out)


def _transpose_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (_taps(p) * ins[0][-1] * p.filters + _bias(p, p.filters), 0)


def _transpose_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    # The profiler's rule for the gradient-of-convolution op a transposed convolution runs as: 2 x output elements x
    # kernel weights / (filters x the product of the strides), computed in floating point and truncated (exactly,
    # beyond the integers a float holds, where the profiler's own figure is rounded anyway).
    n = numel(out)
    if n is None:
        return None
    num, den = 2 * n * _taps(p) * ins[0][-1] * p.filters, p.filters * math.prod(_tup(p.strides))
    kernel = int(num / den) if num < 2 ** 53 else num // den
    return add_flops(kernel, _bias_and_activation(p.use_bias, p.activation, out))


def _transpose_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    # every input position scatters the whole kernel (kernel weights x input positions)
    return kernel_macs(_taps(p) * ins[0][-1] * p.filters, ins[0])


def _depthwise_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    m = ins[0][-1] * p.depth_multiplier
    return (_taps(p) * m + _bias(p, m), 0)


def _depthwise_part_flops(p: Any, x: Shape, out: Shape) -> Optional[int]:
    """FLOPs of the depthwise convolution alone (2 per kernel tap per intermediate output element)."""
    kernel, _, dilation = _geometry(p)
    positions = profiled_positions(x, out, kernel, dilation, p.padding)
    if positions is None:
        return None
    return 2 * _taps(p) * x[-1] * p.depth_multiplier * positions


def _depthwise_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    return add_flops(_depthwise_part_flops(p, ins[0], out), _bias_and_activation(p.use_bias, p.activation, out))


def _depthwise_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    return kernel_macs(_taps(p) * ins[0][-1] * p.depth_multiplier, out)


def _separable_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    m = ins[0][-1] * p.depth_multiplier
    return (_taps(p) * m + m * p.filters + _bias(p, p.filters), 0)


def _separable_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    n = numel(out[:-1])
    pointwise = None if n is None else 2 * x[-1] * p.depth_multiplier * p.filters * n
    return add_flops(add_flops(_depthwise_part_flops(p, x, out), pointwise),
                     _bias_and_activation(p.use_bias, p.activation, out))


def _separable_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    m = ins[0][-1] * p.depth_multiplier
    return kernel_macs(_taps(p) * m + m * p.filters, out)


# ---------------------------------------------------------------------------------------------------------------
# Labels, docs, the definitions
# ---------------------------------------------------------------------------------------------------------------


def _conv_label(p: Any) -> str:
    """``3×3/2, 64, relu``: window and stride, output channels, fused activation."""
    return ", ".join([size_text(p.kernel_size) + stride_text(p.strides), str(p.filters),
                      *activation_text(p.activation)])


def _depthwise_label(p: Any) -> str:
    """``3×3/2 depthwise, relu``."""
    return ", ".join([size_text(p.kernel_size) + stride_text(p.strides) + " depthwise",
                      *activation_text(p.activation)])


_DOCS = {
    ("conv", 1): "1D convolution over steps; `padding: causal` pads on the left only.",
    ("conv", 2): "2D convolution over height and width; `groups` splits the channels into independent convolutions.",
    ("conv", 3): ("3D convolution over depth, height and width (volumes, video); `groups` splits the channels into "
                  "independent convolutions."),
    ("transpose", 1): ("Transposed 1D convolution (learned upsampling over steps): `strides: 2` doubles the length; "
                       "`output_padding` picks another of the lengths a strided convolution maps back."),
    ("transpose", 2): ("Transposed 2D convolution (learned upsampling, the decoder of a U-Net): `strides: 2` doubles "
                       "height and width; `output_padding` picks another of the sizes a strided convolution maps "
                       "back."),
    ("transpose", 3): ("Transposed 3D convolution (learned upsampling of volumes): `strides: 2` doubles depth, height "
                       "and width; `output_padding` as for Conv2DTranspose."),
    ("depthwise", 1): "Depthwise 1D convolution: each input channel is convolved with its own `depth_multiplier` "
                      "kernels.",
    ("depthwise", 2): "Depthwise 2D convolution: each input channel is convolved with its own `depth_multiplier` "
                      "kernels.",
    ("separable", 1): "Depthwise 1D convolution followed by a pointwise (kernel 1) convolution to `filters` channels.",
    ("separable", 2): "Depthwise 2D convolution followed by a 1x1 convolution to `filters` channels.",
}

_OPS = {"conv": "Conv{r}D", "transpose": "Conv{r}DTranspose", "depthwise": "DepthwiseConv{r}D",
        "separable": "SeparableConv{r}D"}

_RULES = {
    "conv": (_conv_shape, _conv_params, _conv_flops, _conv_macs, _conv_label, "filters"),
    "transpose": (_transpose_shape, _transpose_params, _transpose_flops, _transpose_macs, _conv_label, "filters"),
    "depthwise": (_depthwise_shape, _depthwise_params, _depthwise_flops, _depthwise_macs, _depthwise_label,
                  "kernel_size"),
    "separable": (_depthwise_shape, _separable_params, _separable_flops, _separable_macs, _conv_label, "filters"),
}


def convolution(kind: str, rank: int) -> LayerDef:
    """The registry entry of the convolution of ``kind`` (conv, transpose, depthwise, separable) over ``rank``
    spatial axes: its arguments model and its shape, parameter, FLOP, MAC and label rules, shared by every rank."""
    op = _OPS[kind].format(r=rank)
    shape, count_params, flops, macs, label, positional = _RULES[kind]
    return LayerDef(
        op=op, params=_params_model(op, rank, kind), infer=shape(op, rank), count_params=count_params,
        count_flops=flops, count_macs=macs, family="conv", positional=positional, doc=_DOCS[kind, rank],
        label=label,
    )


CONV1D, CONV2D, CONV3D = (convolution("conv", r) for r in (1, 2, 3))
CONV1D_TRANSPOSE, CONV2D_TRANSPOSE, CONV3D_TRANSPOSE = (convolution("transpose", r) for r in (1, 2, 3))
DEPTHWISE_CONV1D, DEPTHWISE_CONV2D = (convolution("depthwise", r) for r in (1, 2))
SEPARABLE_CONV1D, SEPARABLE_CONV2D = (convolution("separable", r) for r in (1, 2))

LAYERS = (CONV2D, DEPTHWISE_CONV2D, SEPARABLE_CONV2D, CONV1D, CONV3D, CONV1D_TRANSPOSE, CONV2D_TRANSPOSE,
          CONV3D_TRANSPOSE, DEPTHWISE_CONV1D, SEPARABLE_CONV1D)
