"""Core layers: Input, Dense, Dropout and Rescaling.

Dense's FLOPs are ``2 * in`` per output element for the matrix product, one per output element for the bias, plus
its activation as :func:`archcompiler.layers.activations.activation_flops` counts it. Dropout is the identity at
inference (0 FLOPs); Rescaling multiplies and adds (2 per element, even for ``scale: 1``, ``offset: 0``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from .activations import activation_flops, add_flops
from .base import (
    DOC_ACTIVATION, DOC_USE_BIAS, ActivationName, Float, InitializerArg, LayerDef, LayerParams, PositiveInt,
    RegularizerArg, Shape, ShapeError, doc_initializer, doc_regularizer, kernel_macs, numel, same_shape,
)
from .labels import activation_text, number_text


class InputParams(LayerParams):
    """``Input: {shape: [64, 64, 3]}``: a model input; the batch dimension is implicit."""

    shape: tuple[Optional[PositiveInt], ...] = Field(
        min_length=1, max_length=8, description="The input's shape without the batch dimension; null for a "
                                                "dimension of any size.")
    dtype: Literal["float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool"] = Field(
        "float32", description="Element type of the input tensor.")


def _input_shape(p: InputParams, ins: list[Shape]) -> Shape:
    return tuple(p.shape)


def _input_label(p: InputParams) -> str:
    # The box shows the shape below; only an unusual element type is worth a word.
    return "" if p.dtype == "float32" else p.dtype


INPUT = LayerDef(
    op="Input", params=InputParams, infer=_input_shape, family="input", arity=(0, 0), positional="shape",
    keras_class="InputLayer", doc="A model input. `shape` excludes the batch dimension.", label=_input_label,
)


class DenseParams(LayerParams):
    """Arguments of ``keras.layers.Dense``."""

    units: PositiveInt = Field(description="Number of outputs (the size of the new last axis).")
    activation: Optional[ActivationName] = Field(None, description=DOC_ACTIVATION)
    use_bias: bool = Field(True, description=DOC_USE_BIAS)
    kernel_initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    kernel_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))


def _dense_shape(p: DenseParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    if len(x) < 1:
        raise ShapeError(f"Dense expects an input with at least 1 dimension. Received: input_shape={x}")
    if x[-1] is None:
        raise ShapeError(f"Dense expects a known last dimension. Received: input_shape={x}")
    return (*x[:-1], p.units)


def _dense_params(p: DenseParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    c = ins[0][-1]
    return (c * p.units + (p.units if p.use_bias else 0), 0)


def _dense_flops(p: DenseParams, ins: list[Shape], out: Shape) -> Optional[int]:
    rows = numel(ins[0][:-1])
    if rows is None:
        return None
    c = ins[0][-1]
    # MatMul: 2 * in * out per row; BiasAdd: one add per output element; the activation as the Activation layer.
    return add_flops(rows * (2 * c * p.units + (p.units if p.use_bias else 0)), activation_flops(p.activation, out))


def _dense_macs(p: DenseParams, ins: list[Shape], out: Shape) -> Optional[int]:
    return kernel_macs(ins[0][-1] * p.units, out)


def _dense_label(p: DenseParams) -> str:
    return ", ".join([str(p.units), *activation_text(p.activation)])


DENSE = LayerDef(
    op="Dense", params=DenseParams, infer=_dense_shape, count_params=_dense_params, count_flops=_dense_flops,
    count_macs=_dense_macs,
    family="dense", positional="units", doc="Fully connected layer on the last axis.", label=_dense_label,
)


class DropoutParams(LayerParams):
    """Arguments of ``keras.layers.Dropout``: the fraction of inputs zeroed during training."""

    rate: Annotated[float, Field(strict=True, ge=0, lt=1)] = Field(
        description="Fraction of the inputs set to 0 during training, in [0, 1).")
    seed: Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]] = Field(
        None, description="Random seed of the dropout mask, for reproducible training.")


DROPOUT = LayerDef(
    op="Dropout", params=DropoutParams, infer=same_shape, family="regularization", positional="rate",
    doc="Zeroes a random `rate` fraction of its inputs during training (and scales the rest); identity at inference.",
    label=lambda p: number_text(p.rate),
)


class RescalingParams(LayerParams):
    """Arguments of ``keras.layers.Rescaling``: ``x * scale + offset``."""

    scale: Float = Field(description="Factor the input is multiplied by, e.g. `${1 / 255}` to map pixels to "
                                     "[0, 1].")
    offset: Float = Field(0.0, description="Value added after scaling, e.g. -1 with scale `${1 / 127.5}` to map "
                                           "pixels to [-1, 1].")


def _rescaling_flops(p: RescalingParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else 2 * n


def _rescaling_label(p: RescalingParams) -> str:
    return f"×{number_text(p.scale)}" + (f" {p.offset:+g}" if p.offset else "")


RESCALING = LayerDef(
    op="Rescaling", params=RescalingParams, infer=same_shape, count_flops=_rescaling_flops, family="norm",
    positional="scale", doc="Computes `x * scale + offset`, e.g. `scale: 1/255` to map pixels to [0, 1].",
    label=_rescaling_label,
)

LAYERS = (INPUT, DENSE, DROPOUT, RESCALING)
