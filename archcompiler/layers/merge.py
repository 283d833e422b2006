"""Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum, and Concatenate.

Element-wise merges need inputs of one shape (an unknown dimension matches anything and, as in Keras, stays
unknown) and cost one operation per output element per extra input (Average: plus the division); Concatenate needs
equal dimensions except on its axis and costs nothing. Incompatible shapes are error E401.
"""

from __future__ import annotations

from typing import Callable, Optional

from pydantic import Field

from .base import Axis, Dim, InferFn, LayerDef, LayerParams, Shape, ShapeError, numel, resolve_axis
from .labels import axis_text, no_label


class MergeParams(LayerParams):
    """Element-wise merges take no arguments."""


def _join(a: Dim, b: Dim) -> Dim:
    # As in Keras, a dimension unknown in one input is unknown in the output.
    return None if a is None or b is None else a


def _compatible(a: Dim, b: Dim) -> bool:
    return a is None or b is None or a == b


def _shapes(ins: list[Shape]) -> str:
    return "[" + ", ".join(str(s) for s in ins) + "]"


def _elementwise_shape(op: str) -> InferFn:
    def infer(p: MergeParams, ins: list[Shape]) -> Shape:
        out = ins[0]
        for x in ins[1:]:
            if len(x) != len(out) or not all(_compatible(a, b) for a, b in zip(out, x)):
                raise ShapeError(f"{op} expects inputs of the same shape. Received: input_shape={_shapes(ins)}", "E401")
            out = tuple(_join(a, b) for a, b in zip(out, x))
        return out
    return infer


def _elementwise_flops(extra: int) -> Callable[[MergeParams, list[Shape], Shape], Optional[int]]:
    def flops(p: MergeParams, ins: list[Shape], out: Shape) -> Optional[int]:
        n = numel(out)
        return None if n is None else (len(ins) - 1 + extra) * n
    return flops


def _merge(op: str, what: str, arity: tuple[int, Optional[int]] = (2, None), extra: int = 0) -> LayerDef:
    # The type says what is computed and the edges show the inputs: nothing to add.
    return LayerDef(op=op, params=MergeParams, infer=_elementwise_shape(op), count_flops=_elementwise_flops(extra),
                    family="merge", arity=arity, doc=what, call_style="list", label=no_label)


ADD = _merge("Add", "Element-wise sum of its inputs (all of one shape).")
SUBTRACT = _merge("Subtract", "Element-wise difference of its two inputs: first minus second.", arity=(2, 2))
MULTIPLY = _merge("Multiply", "Element-wise product of its inputs (all of one shape).")
AVERAGE = _merge("Average", "Element-wise mean of its inputs (all of one shape).", extra=1)
MAXIMUM = _merge("Maximum", "Element-wise maximum of its inputs (all of one shape).")
MINIMUM = _merge("Minimum", "Element-wise minimum of its inputs (all of one shape).")


class ConcatenateParams(LayerParams):
    """Arguments of ``keras.layers.Concatenate``."""

    axis: Axis = Field(-1, description="The axis the inputs are joined along (0 is the batch; -1 the last axis, "
                                       "i.e. channels).")


def _concat_shape(p: ConcatenateParams, ins: list[Shape]) -> Shape:
    first = ins[0]
    if any(len(x) != len(first) for x in ins):
        raise ShapeError("Concatenate expects inputs of the same rank. Received: input_shape=" + _shapes(ins), "E401")
    axis = resolve_axis("Concatenate", p.axis, first)
    out: list[Dim] = list(first)
    for x in ins[1:]:
        for i, (a, b) in enumerate(zip(out, x)):
            if i == axis:
                continue
            if not _compatible(a, b):
                raise ShapeError(f"Concatenate expects inputs with matching shapes except for the concatenation axis "
                                 f"({p.axis}). Received: input_shape={_shapes(ins)}", "E401")
            out[i] = _join(a, b)
    sizes = [x[axis] for x in ins]
    out[axis] = None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]
    return tuple(out)


CONCATENATE = LayerDef(
    op="Concatenate", params=ConcatenateParams, infer=_concat_shape, family="merge", arity=(2, None),
    positional="axis", call_style="list",
    doc="Joins its inputs along `axis` (default the last, i.e. channels); other dimensions must match.",
    label=lambda p: axis_text(p.axis),
)

LAYERS = (ADD, SUBTRACT, MULTIPLY, AVERAGE, MAXIMUM, MINIMUM, CONCATENATE)
