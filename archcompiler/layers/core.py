"""Core layers: Input, Dense, Dropout, Rescaling and Identity.

Dense's FLOPs are ``2 * in`` per output element for the matrix product, one per output element for the bias, plus
its activation as :func:`archcompiler.layers.activations.activation_flops` counts it. Dropout is the identity at
inference (0 FLOPs), and so is Identity; Rescaling multiplies and adds (2 per element, even for ``scale: 1``,
``offset: 0``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from .activations import activation_flops, add_flops
from .base import (
    DOC_ACTIVATION, DOC_USE_BIAS, ActivationName, InitializerArg, LayerDef, LayerParams, Numbers, PositiveInt,
    RegularizerArg, Shape, ShapeError, doc_initializer, doc_regularizer, flat_values, kernel_macs, nested_shape, numel,
    same_shape,
)
from .labels import activation_text, no_label, number_text


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
    noise_shape: Optional[Annotated[tuple[Optional[PositiveInt], ...], Field(min_length=1, max_length=9)]] = Field(
        None, description="Shape of the dropout mask, batch included, broadcast against the input: 1 shares one "
                          "mask value along an axis, null takes the input's size (e.g. `[null, 1, 1, null]` drops "
                          "whole feature maps of an image); null for a mask of the input's shape.")
    seed: Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]] = Field(
        None, description="Random seed of the dropout mask, for reproducible training.")


def _dropout_shape(p: DropoutParams, ins: list[Shape]) -> Shape:
    """The input's shape; a ``noise_shape`` must broadcast against it (batch included) as the mask does in
    training: at most the input's rank, aligned from the right, each entry 1 or the input's size. A null entry
    takes the input's size at the same index, so it needs the input's full rank."""
    (x,) = ins
    ns = p.noise_shape
    if ns is None:
        return x
    full = (None, *x)  # the batch size is not known statically
    if len(ns) > len(full):
        raise ShapeError(f"Dropout expects a noise_shape of at most the input's rank ({len(full)}, batch included): "
                         f"the mask must broadcast to the input. Received: noise_shape={ns}, input_shape={x}")
    if None in ns and len(ns) != len(full):
        raise ShapeError(f"Dropout expects a noise_shape with null entries to have the input's rank ({len(full)}, "
                         f"batch included): a null takes the input's size at the same index. Received: "
                         f"noise_shape={ns}, input_shape={x}")
    for i, d in enumerate(ns):
        j = len(full) - len(ns) + i
        have = full[j]
        if d is not None and d != 1 and have is not None and d != have:
            where = "the batch axis" if j == 0 else f"axis {j}"
            raise ShapeError(f"Dropout expects each noise_shape entry to be 1, null or the input's size along its "
                             f"axis (aligned from the right, batch included): entry {i} is {d}, {where} has size "
                             f"{have}. Received: noise_shape={ns}, input_shape={x}")
    return x


def _dropout_label(p: DropoutParams) -> str:
    if p.noise_shape is None:
        return number_text(p.rate)
    return f"{number_text(p.rate)}, mask " + "×".join("?" if d is None else str(d) for d in p.noise_shape)


DROPOUT = LayerDef(
    op="Dropout", params=DropoutParams, infer=_dropout_shape, family="regularization", positional="rate",
    doc="Zeroes a random `rate` fraction of its inputs during training (and scales the rest); identity at inference.",
    label=_dropout_label,
)


class RescalingParams(LayerParams):
    """Arguments of ``keras.layers.Rescaling``: ``x * scale + offset``, with numbers or per-channel lists."""

    scale: Numbers = Field(description="Factor the input is multiplied by, e.g. `${1 / 255}` to map pixels to "
                                      "[0, 1]; a list is one factor per index of the last axis (per channel), "
                                      "nested lists cover more axes.")
    offset: Numbers = Field(0.0, description="Value added after scaling, e.g. -1 with scale `${1 / 127.5}` to map "
                                            "pixels to [-1, 1]; a list like `scale`'s.")

    @field_validator("scale", "offset")
    @classmethod
    def _rectangular(cls, v: Any, info: ValidationInfo) -> Any:
        nested_shape(v, info.field_name or "value")
        return v


def _rescaling_shape(p: RescalingParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    for name in ("scale", "offset"):
        f = nested_shape(getattr(p, name), name)
        # aligned with the input's last axes, each either 1 or the input's size: the output keeps the input's shape
        if len(f) > len(x) or any(d != 1 and n is not None and d != n for d, n in zip(reversed(f), reversed(x))):
            raise ShapeError(f"Rescaling expects `{name}` to broadcast to the input without changing its shape "
                             f"(at most its rank, each dimension 1 or the input's size, aligned from the right). "
                             f"Received: {name} of shape {f}, input_shape={x}")
    return x


def _rescaling_flops(p: RescalingParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    return None if n is None else 2 * n


def _factor_text(v: Any) -> str:
    if not isinstance(v, list):
        return number_text(v)
    flat = flat_values(v)
    return "[" + ", ".join(map(number_text, flat)) + "]" if len(flat) <= 4 else f"[{len(flat)} values]"


def _rescaling_label(p: RescalingParams) -> str:
    if isinstance(p.offset, list):
        offset = f" +{_factor_text(p.offset)}"
    else:
        offset = f" {p.offset:+g}" if p.offset else ""
    return f"×{_factor_text(p.scale)}" + offset


RESCALING = LayerDef(
    op="Rescaling", params=RescalingParams, infer=_rescaling_shape, count_flops=_rescaling_flops, family="norm",
    positional="scale", doc="Computes `x * scale + offset`, e.g. `scale: 1/255` to map pixels to [0, 1]; lists give "
                            "one factor or offset per channel.",
    label=_rescaling_label,
)



class IdentityParams(LayerParams):
    """``keras.layers.Identity`` takes no arguments."""


IDENTITY = LayerDef(
    op="Identity", params=IdentityParams, infer=same_shape, family="reshape",
    doc="Returns its input unchanged: a named point in the graph (a placeholder for a layer to come, a tap).",
    label=no_label,
)

LAYERS = (INPUT, DENSE, DROPOUT, RESCALING, IDENTITY)
