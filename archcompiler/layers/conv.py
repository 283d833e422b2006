"""Convolution layers: Conv2D, DepthwiseConv2D, SeparableConv2D and Conv1D (channels-last).

Output size per spatial axis: ``valid`` -> ``floor((n - ((k - 1) * d + 1)) / s) + 1``, ``same`` -> ``ceil(n / s)``,
``causal`` (Conv1D) -> ``n``. FLOPs follow TensorFlow's profiler, including its count of dilated convolutions
(see the FLOP convention in :mod:`archcompiler.layers.base`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Sequence, Union

from pydantic import BeforeValidator, Field, model_validator

from .activations import activation_flops, add_flops
from .base import (
    DOC_ACTIVATION, DOC_DATA_FORMAT, DOC_PADDING, DOC_USE_BIAS, ActivationName, DataFormat, Dim, InferFn,
    InitializerArg, IntPair, LayerDef, LayerParams, PaddingMode, PositiveInt, RegularizerArg, Shape, ShapeError,
    check_spatial, doc_initializer, doc_regularizer, numel, require_known, require_rank, window_output_dim,
    kernel_macs,
)
from .labels import activation_text, size_text, stride_text


def _to_single(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and len(v) == 1:
        return v[0]
    return v


#: ``3`` or ``[3]``, normalised to one positive integer (Conv1D's sizes).
IntSingle = Annotated[PositiveInt, BeforeValidator(_to_single, json_schema_input_type=Union[PositiveInt, tuple[PositiveInt]])]


_FILTERS = "Number of output channels (convolution kernels)."
_KERNEL_2D = "Height and width of the convolution window: `3` or `[3, 3]`."
_STRIDES_2D = "Step of the window along height and width: `2` or `[2, 2]` halves the output size."
_DILATION_2D = ("Spacing between kernel taps (atrous convolution): `2` or `[2, 2]`; cannot be combined with "
                "strides > 1.")
_GROUPS = ("Number of groups the input channels are split into, each convolved separately; input channels and "
           "filters must be divisible by it.")
_DEPTH_MULTIPLIER = "Number of depthwise kernels (output channels) per input channel."


def _check_strides_dilation(strides: Sequence[int], dilation_rate: Sequence[int]) -> None:
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(f"strides > 1 cannot be combined with dilation_rate > 1. "
                         f"Received: strides={tuple(strides)}, dilation_rate={tuple(dilation_rate)}")


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


# ---------------------------------------------------------------------------------------------------------------
# Conv2D and Conv1D
# ---------------------------------------------------------------------------------------------------------------


class Conv2DParams(LayerParams):
    """Arguments of ``keras.layers.Conv2D``."""

    filters: PositiveInt = Field(description=_FILTERS)
    kernel_size: IntPair = Field(description=_KERNEL_2D)
    strides: IntPair = Field((1, 1), description=_STRIDES_2D)
    padding: PaddingMode = Field("valid", description=DOC_PADDING)
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    dilation_rate: IntPair = Field((1, 1), description=_DILATION_2D)
    groups: PositiveInt = Field(1, description=_GROUPS)
    activation: Optional[ActivationName] = Field(None, description=DOC_ACTIVATION)
    use_bias: bool = Field(True, description=DOC_USE_BIAS)
    kernel_initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    kernel_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))

    @model_validator(mode="after")
    def _check(self) -> "Conv2DParams":
        _check_strides_dilation(self.strides, self.dilation_rate)
        if self.filters % self.groups:
            raise ValueError(f"filters must be divisible by groups. Received: filters={self.filters}, "
                             f"groups={self.groups}")
        return self


class Conv1DParams(LayerParams):
    """Arguments of ``keras.layers.Conv1D``."""

    filters: PositiveInt = Field(description=_FILTERS)
    kernel_size: IntSingle = Field(description="Length of the convolution window: `3` or `[3]`.")
    strides: IntSingle = Field(1, description="Step of the window along the steps axis: `2` halves the output.")
    padding: Literal["valid", "same", "causal"] = Field(
        "valid", description=DOC_PADDING + " `causal`: padding on the left only, so that an output step sees no "
                                           "later input step.")
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    dilation_rate: IntSingle = Field(1, description="Spacing between kernel taps; cannot be combined with "
                                                    "strides > 1.")
    groups: PositiveInt = Field(1, description=_GROUPS)
    activation: Optional[ActivationName] = Field(None, description=DOC_ACTIVATION)
    use_bias: bool = Field(True, description=DOC_USE_BIAS)
    kernel_initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    kernel_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))

    @model_validator(mode="after")
    def _check(self) -> "Conv1DParams":
        _check_strides_dilation((self.strides,), (self.dilation_rate,))
        if self.filters % self.groups:
            raise ValueError(f"filters must be divisible by groups. Received: filters={self.filters}, "
                             f"groups={self.groups}")
        return self


def _geometry(p: Any) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(kernel, strides, dilation) as tuples, for 1D and 2D parameter models alike."""
    def tup(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, tuple) else (v,)
    return tup(p.kernel_size), tup(p.strides), tup(p.dilation_rate)


def _conv_shape(op: str, what: str) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        kernel, strides, dilation = _geometry(p)
        require_rank(op, x, len(kernel) + 1, what)
        c = require_known(op, x, -1, "channel")
        if c % p.groups:
            raise ShapeError(f"{op} expects the input channels to be divisible by groups. Received: groups={p.groups},"
                             f" input_shape={x}")
        return (*conv_output(op, x, kernel, strides, dilation, p.padding), p.filters)
    return infer


def _conv_params(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
    kernel, _, _ = _geometry(p)
    c = ins[0][-1]
    k = 1
    for v in kernel:
        k *= v
    return (k * (c // p.groups) * p.filters + (p.filters if p.use_bias else 0), 0)


def _conv_flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    kernel, _, dilation = _geometry(p)
    x = ins[0]
    positions = profiled_positions(x, out, kernel, dilation, p.padding)
    if positions is None:
        return None
    k = 1
    for v in kernel:
        k *= v
    return add_flops(2 * k * (x[-1] // p.groups) * p.filters * positions,
                     _bias_and_activation(p.use_bias, p.activation, out))


def _conv_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    weights, _ = _conv_params(p, ins, out)
    return kernel_macs(weights - (p.filters if p.use_bias else 0), out)


def _conv_label(p: Any) -> str:
    """``3×3/2, 64, relu``: window and stride, output channels, fused activation."""
    return ", ".join([size_text(p.kernel_size) + stride_text(p.strides), str(p.filters),
                      *activation_text(p.activation)])


CONV2D = LayerDef(
    op="Conv2D", params=Conv2DParams, infer=_conv_shape("Conv2D", "height, width, channels"),
    count_params=_conv_params, count_flops=_conv_flops, count_macs=_conv_macs, family="conv", positional="filters",
    doc="2D convolution over height and width; `groups` splits the channels into independent convolutions.",
    label=_conv_label,
)

CONV1D = LayerDef(
    op="Conv1D", params=Conv1DParams, infer=_conv_shape("Conv1D", "steps, channels"),
    count_params=_conv_params, count_flops=_conv_flops, count_macs=_conv_macs, family="conv", positional="filters",
    doc="1D convolution over steps; `padding: causal` pads on the left only.", label=_conv_label,
)


# ---------------------------------------------------------------------------------------------------------------
# DepthwiseConv2D and SeparableConv2D
# ---------------------------------------------------------------------------------------------------------------


class DepthwiseConv2DParams(LayerParams):
    """Arguments of ``keras.layers.DepthwiseConv2D``."""

    kernel_size: IntPair = Field(description=_KERNEL_2D)
    strides: IntPair = Field((1, 1), description=_STRIDES_2D)
    padding: PaddingMode = Field("valid", description=DOC_PADDING)
    depth_multiplier: PositiveInt = Field(1, description=_DEPTH_MULTIPLIER)
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    dilation_rate: IntPair = Field((1, 1), description=_DILATION_2D)
    activation: Optional[ActivationName] = Field(None, description=DOC_ACTIVATION)
    use_bias: bool = Field(True, description=DOC_USE_BIAS)
    depthwise_initializer: InitializerArg = Field("glorot_uniform",
                                                  description=doc_initializer("the depthwise kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    depthwise_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the depthwise kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))

    @model_validator(mode="after")
    def _check(self) -> "DepthwiseConv2DParams":
        _check_strides_dilation(self.strides, self.dilation_rate)
        return self


class SeparableConv2DParams(LayerParams):
    """Arguments of ``keras.layers.SeparableConv2D``."""

    filters: PositiveInt = Field(description="Number of output channels of the pointwise (1x1) convolution.")
    kernel_size: IntPair = Field(description="Height and width of the depthwise window: `3` or `[3, 3]`.")
    strides: IntPair = Field((1, 1), description=_STRIDES_2D)
    padding: PaddingMode = Field("valid", description=DOC_PADDING)
    data_format: DataFormat = Field(None, description=DOC_DATA_FORMAT)
    dilation_rate: IntPair = Field((1, 1), description=_DILATION_2D)
    depth_multiplier: PositiveInt = Field(1, description="Number of depthwise kernels per input channel (the "
                                                         "intermediate channels are input channels x this).")
    activation: Optional[ActivationName] = Field(None, description=DOC_ACTIVATION)
    use_bias: bool = Field(True, description=DOC_USE_BIAS)
    depthwise_initializer: InitializerArg = Field("glorot_uniform",
                                                  description=doc_initializer("the depthwise kernel"))
    pointwise_initializer: InitializerArg = Field("glorot_uniform",
                                                  description=doc_initializer("the pointwise kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    depthwise_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the depthwise kernel"))
    pointwise_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the pointwise kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))

    @model_validator(mode="after")
    def _check(self) -> "SeparableConv2DParams":
        _check_strides_dilation(self.strides, self.dilation_rate)
        return self


def _depthwise_shape(op: str) -> InferFn:
    def infer(p: Any, ins: list[Shape]) -> Shape:
        (x,) = ins
        require_rank(op, x, 3, "height, width, channels")
        c = require_known(op, x, -1, "channel")
        spatial = conv_output(op, x, p.kernel_size, p.strides, p.dilation_rate, p.padding)
        return (*spatial, getattr(p, "filters", c * p.depth_multiplier))
    return infer


def _depthwise_params(p: DepthwiseConv2DParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    kh, kw = p.kernel_size
    m = ins[0][-1] * p.depth_multiplier
    return (kh * kw * m + (m if p.use_bias else 0), 0)


def _depthwise_part_flops(p: Any, x: Shape, out: Shape) -> Optional[int]:
    """FLOPs of the depthwise convolution alone (2 per kernel tap per intermediate output element)."""
    positions = profiled_positions(x, out, p.kernel_size, p.dilation_rate, p.padding)
    if positions is None:
        return None
    kh, kw = p.kernel_size
    return 2 * kh * kw * x[-1] * p.depth_multiplier * positions


def _depthwise_flops(p: DepthwiseConv2DParams, ins: list[Shape], out: Shape) -> Optional[int]:
    return add_flops(_depthwise_part_flops(p, ins[0], out), _bias_and_activation(p.use_bias, p.activation, out))


def _separable_params(p: SeparableConv2DParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    kh, kw = p.kernel_size
    m = ins[0][-1] * p.depth_multiplier
    return (kh * kw * m + m * p.filters + (p.filters if p.use_bias else 0), 0)


def _separable_flops(p: SeparableConv2DParams, ins: list[Shape], out: Shape) -> Optional[int]:
    x = ins[0]
    n = numel(out[:-1])
    pointwise = None if n is None else 2 * x[-1] * p.depth_multiplier * p.filters * n
    return add_flops(add_flops(_depthwise_part_flops(p, x, out), pointwise),
                     _bias_and_activation(p.use_bias, p.activation, out))


def _depthwise_macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    weights, _ = (_separable_params if hasattr(p, "filters") else _depthwise_params)(p, ins, out)
    bias = (getattr(p, "filters", None) or ins[0][-1] * p.depth_multiplier) if p.use_bias else 0
    return kernel_macs(weights - bias, out)


def _depthwise_label(p: DepthwiseConv2DParams) -> str:
    return ", ".join([size_text(p.kernel_size) + stride_text(p.strides) + " depthwise",
                      *activation_text(p.activation)])


DEPTHWISE_CONV2D = LayerDef(
    op="DepthwiseConv2D", params=DepthwiseConv2DParams, infer=_depthwise_shape("DepthwiseConv2D"),
    count_params=_depthwise_params, count_flops=_depthwise_flops, count_macs=_depthwise_macs, family="conv",
    positional="kernel_size",
    doc="Depthwise 2D convolution: each input channel is convolved with its own `depth_multiplier` kernels.",
    label=_depthwise_label,
)

SEPARABLE_CONV2D = LayerDef(
    op="SeparableConv2D", params=SeparableConv2DParams, infer=_depthwise_shape("SeparableConv2D"),
    count_params=_separable_params, count_flops=_separable_flops, count_macs=_depthwise_macs, family="conv",
    positional="filters",
    doc="Depthwise 2D convolution followed by a 1x1 convolution to `filters` channels.", label=_conv_label,
)

LAYERS = (CONV2D, DEPTHWISE_CONV2D, SEPARABLE_CONV2D, CONV1D)
