"""Activation layers (Activation, ReLU, LeakyReLU, Softmax) and the FLOP rule of every named activation.

:func:`activation_flops` is the single place that knows what an activation costs; layers with an ``activation``
argument (Conv2D, Dense ...) add it to their own FLOPs so that ``Conv2D(activation=softmax)`` and ``Conv2D`` followed
by ``Activation: softmax`` count the same.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .base import (
    ActivationName, Axis, LayerDef, LayerParams, NonNegativeFloat, Shape, numel, resolve_axis, same_shape,
)
from .labels import axis_text, number_text

#: FLOPs per element that TensorFlow's profiler counts for each activation as Keras builds it. Activations missing
#: here run as ops the profiler does not count (Relu, Sigmoid, Tanh, Elu, Exp, LeakyRelu, LogSoftmax ...).
_PER_ELEMENT: dict[str, int] = {
    "softmax": 5,
    "swish": 2,
    "silu": 2,
    "gelu": 4,
    "hard_sigmoid": 2,
    "hard_swish": 3,
    "hard_silu": 3,
    "mish": 1,
}


def activation_flops(name: Optional[str], shape: Shape) -> Optional[int]:
    """FLOPs of applying the named activation (softmax on the last axis) to a tensor of ``shape``.

    Args:
        name: an activation name, or None for no activation.
        shape: the tensor's shape, batch excluded.

    Returns:
        The FLOPs, or None when a dimension is unknown and the activation costs anything.
    """
    per = _PER_ELEMENT.get(name or "linear", 0)
    if per == 0:
        return 0
    n = numel(shape)
    return None if n is None else per * n


def add_flops(a: Optional[int], b: Optional[int]) -> Optional[int]:
    """Sum of two FLOP counts where None (unknown) is absorbing."""
    return None if a is None or b is None else a + b


# ---------------------------------------------------------------------------------------------------------------
# Activation
# ---------------------------------------------------------------------------------------------------------------


class ActivationParams(LayerParams):
    """Arguments of ``keras.layers.Activation``."""

    activation: ActivationName = Field(description="The activation function, by name (e.g. relu, sigmoid, "
                                                   "softmax).")


def _activation_layer_flops(p: ActivationParams, ins: list[Shape], out: Shape) -> Optional[int]:
    return activation_flops(p.activation, out)


ACTIVATION = LayerDef(
    op="Activation", params=ActivationParams, infer=same_shape, count_flops=_activation_layer_flops,
    family="activation", positional="activation",
    doc="Applies a named activation function element-wise (softmax: over the last axis).",
    label=lambda p: str(p.activation),
)


# ---------------------------------------------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------------------------------------------


class ReLUParams(LayerParams):
    """Arguments of ``keras.layers.ReLU``: ``min(max_value, x)`` above ``threshold``,
    ``negative_slope * (x - threshold)`` below."""

    max_value: Optional[NonNegativeFloat] = Field(None, description="Upper bound of the output (6 gives ReLU6); "
                                                                    "null for none.")
    negative_slope: NonNegativeFloat = Field(0.0, description="Slope below the threshold (0: plain ReLU).")
    threshold: NonNegativeFloat = Field(0.0, description="Inputs below this value are zeroed (or scaled by "
                                                         "negative_slope).")


def relu_ops_per_element(max_value: Optional[float], negative_slope: float, threshold: float) -> int:
    """Element-wise ops the profiler counts for Keras's parametrised ReLU.

    Plain ReLU, ReLU6 (``max_value == 6``) and leaky ReLU (slope only) are single uncounted ops; a threshold costs a
    comparison, a ``max_value`` other than 6 a clip (2 ops), and a slope combined with a cap or threshold computes the
    negative part separately (``-x`` (+ threshold), then a multiply and a subtract).
    """
    ops = 0
    clip = max_value is not None
    if negative_slope != 0:
        if max_value is None and threshold == 0:
            return 0
        ops += (2 if threshold != 0 else 1) + 2
    if threshold != 0:
        ops += 1
    elif max_value == 6:
        clip = False
    return ops + (2 if clip else 0)


def _relu_flops(p: ReLUParams, ins: list[Shape], out: Shape) -> Optional[int]:
    per = relu_ops_per_element(p.max_value, p.negative_slope, p.threshold)
    n = numel(out)
    return 0 if per == 0 else None if n is None else per * n


def _relu_label(p: ReLUParams) -> str:
    parts = []
    if p.max_value is not None:
        parts.append(f"max {number_text(p.max_value)}")
    if p.negative_slope:
        parts.append(f"slope {number_text(p.negative_slope)}")
    if p.threshold:
        parts.append(f"threshold {number_text(p.threshold)}")
    return ", ".join(parts)


RELU = LayerDef(
    op="ReLU", params=ReLUParams, infer=same_shape, count_flops=_relu_flops, family="activation",
    positional="max_value",
    doc="Rectified linear unit with optional cap (`max_value`), `negative_slope` and `threshold`; "
        "`ReLU: 6` is ReLU6.",
    label=_relu_label,
)


# ---------------------------------------------------------------------------------------------------------------
# LeakyReLU
# ---------------------------------------------------------------------------------------------------------------


class LeakyReLUParams(LayerParams):
    """Arguments of ``keras.layers.LeakyReLU``."""

    negative_slope: NonNegativeFloat = Field(0.3, description="Factor applied to negative inputs.")


LEAKY_RELU = LayerDef(
    op="LeakyReLU", params=LeakyReLUParams, infer=same_shape, family="activation", positional="negative_slope",
    doc="Leaky ReLU: `x` above 0, `negative_slope * x` below.",
    label=lambda p: f"slope {number_text(p.negative_slope)}",
)


# ---------------------------------------------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------------------------------------------


class SoftmaxParams(LayerParams):
    """Arguments of ``keras.layers.Softmax`` (a single axis)."""

    axis: Axis = Field(-1, description="The axis the probabilities sum to 1 over (0 is the batch; -1 the last "
                                       "axis).")


def _softmax_shape(p: SoftmaxParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    resolve_axis("Softmax", p.axis, x)
    return x


def _softmax_flops(p: SoftmaxParams, ins: list[Shape], out: Shape) -> Optional[int]:
    n = numel(out)
    if n is None:
        return None
    last = resolve_axis("Softmax", p.axis, out) == len(out) - 1
    # Softmax on another axis transposes it last and back; the permutation is computed in the graph with two scalar
    # subtractions, plus three scalar additions when the axis is negative.
    return 5 * n + (0 if last else 2 + (3 if p.axis < 0 else 0))


SOFTMAX = LayerDef(
    op="Softmax", params=SoftmaxParams, infer=_softmax_shape, count_flops=_softmax_flops, family="activation",
    positional="axis", doc="Softmax over one axis (default the last).",
    label=lambda p: "" if p.axis == -1 else axis_text(p.axis),
)

LAYERS = (ACTIVATION, RELU, LEAKY_RELU, SOFTMAX)
