"""Tensor arithmetic: with a constant, AddConstant (``x + value``) and MultiplyConstant (``x * value``); of two
tensors, AddTensors (``x + y``).

keras.applications writes some steps as arithmetic on symbolic tensors rather than as layers (MobileNetV3's hard
sigmoid is ``ReLU(6.0)(x + 3.0) * (1.0 / 6.0)``). In Keras 3 such an expression is an operation of the functional
graph: it is in ``model.operations`` but not in ``model.layers``, has no weights, and Keras names it itself. These
entries are that: the Keras backend applies the arithmetic to the tensor (``call_style`` ``operation``) instead of
making a layer (Keras records it as an operation of class ``Add`` or ``Multiply``, the entries'
``keras_class``), and archc's layer count, like ``len(model.layers)``, leaves them out. Their output has the input's
shape; TensorFlow's profiler counts one FLOP per element (AddV2, Mul with a scalar). AddTensors (ConvNeXt's
``inputs + layer(x)``) takes two inputs of the same or broadcastable shapes (Keras's broadcasting, as for the Add
layer); its output has the broadcast shape and the profiler counts one FLOP per output element (AddV2).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, Field

from .base import LayerDef, LayerParams, Shape, numel, same_shape
from .merge import broadcast
from .labels import number_text


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError(f"a finite number is required. Received: {v}")
    return v


_Constant = Annotated[float, AfterValidator(_finite)]


class AddConstantParams(LayerParams):
    """The constant of ``x + value``."""

    value: _Constant = Field(description="The number added to every element (a Python float in the Keras graph).")


class MultiplyConstantParams(LayerParams):
    """The constant of ``x * value``."""

    value: _Constant = Field(description="The number every element is multiplied by (a Python float in the Keras "
                                         "graph): `${1.0 / 6.0}` for MobileNetV3's hard sigmoid.")


def _per_element(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
    return numel(out)


def _constant_label(sign: str) -> Any:
    return lambda p: f"{sign} {number_text(p.value)}"


ADD_CONSTANT = LayerDef(
    op="AddConstant", params=AddConstantParams, infer=same_shape, count_flops=_per_element, family="merge",
    positional="value", call_style="operation", keras_class="Add", arithmetic="x + value", label=_constant_label("+"),
    doc="Adds `value` to every element: the tensor arithmetic `x + value` as keras.applications writes it (an "
        "operation of the Keras graph, not a layer: not in `model.layers`, no weights).",
)

MULTIPLY_CONSTANT = LayerDef(
    op="MultiplyConstant", params=MultiplyConstantParams, infer=same_shape, count_flops=_per_element,
    family="merge", positional="value", call_style="operation", keras_class="Multiply",
    arithmetic="x * value",
    label=_constant_label("×"),
    doc="Multiplies every element by `value`: the tensor arithmetic `x * value` as keras.applications writes it "
        "(an operation of the Keras graph, not a layer: not in `model.layers`, no weights).",
)

class AddTensorsParams(LayerParams):
    """``x + y`` has no arguments."""


def _broadcast_shape(p: Any, ins: list[Shape]) -> Shape:
    a, b = ins
    return broadcast("AddTensors", a, b, ins)


ADD_TENSORS = LayerDef(
    op="AddTensors", params=AddTensorsParams, infer=_broadcast_shape, count_flops=_per_element, family="merge",
    arity=(2, 2), call_style="operation", keras_class="Add", arithmetic="x + y", label=lambda p: "+",
    doc="Adds its two inputs (the same or broadcastable shapes): the tensor arithmetic `x + y` as keras.applications "
        "writes it (ConvNeXt's `inputs + layer(x)`; an operation of the Keras graph, not a layer: not in "
        "`model.layers`, no weights).",
)

LAYERS = (ADD_CONSTANT, MULTIPLY_CONSTANT, ADD_TENSORS)
