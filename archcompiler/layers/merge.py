"""Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum, and Concatenate.

Element-wise merges broadcast their inputs as Keras 3 does (the batch left out): shapes are aligned from their last
axis, a missing leading axis or a size of 1 takes the other input's size, equal sizes stay, and an unknown
dimension matches anything and stays unknown. Keras folds the inputs from the first one on (``out = op(out, x)``), so
each step costs one operation per element of the shape broadcast so far (Average: plus the division of the final
result). Concatenate needs equal dimensions except on its axis and costs nothing. Incompatible shapes are error
E401.
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


def broadcast(op: str, a: Shape, b: Shape, ins: list[Shape]) -> Shape:
    """The shape of ``op(a, b)`` under Keras's broadcasting (batch excluded); ShapeError E401 naming both shapes and
    the first axis (counted from the end, as they are aligned) where they cannot broadcast."""
    if len(a) < len(b):
        a, b = b, a
    lead = len(a) - len(b)
    out: list[Dim] = list(a[:lead])
    for k, (i, j) in enumerate(zip(a[lead:], b)):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            axis = k - len(b)
            raise ShapeError(f"{op} expects inputs that broadcast: shapes {a} and {b} differ on axis {axis} ({i} vs "
                             f"{j}; shapes are aligned from the last axis, and sizes broadcast when they are equal or "
                             f"one of them is 1). Received: input_shape={_shapes(ins)}", "E401")
    return tuple(out)


def _folded(op: str, ins: list[Shape]) -> list[Shape]:
    """The shape after each step of Keras's fold over the inputs: ``op(op(x0, x1), x2)``, ..."""
    steps = []
    out = ins[0]
    for x in ins[1:]:
        out = broadcast(op, out, x, ins)
        steps.append(out)
    return steps


def _elementwise_shape(op: str) -> InferFn:
    def infer(p: MergeParams, ins: list[Shape]) -> Shape:
        return _folded(op, ins)[-1] if len(ins) > 1 else ins[0]
    return infer


def _elementwise_flops(op: str, extra: int) -> Callable[[MergeParams, list[Shape], Shape], Optional[int]]:
    def flops(p: MergeParams, ins: list[Shape], out: Shape) -> Optional[int]:
        sizes = [numel(s) for s in _folded(op, ins)] + [numel(out)] * extra
        return None if any(n is None for n in sizes) else sum(sizes)  # type: ignore[misc]
    return flops


def _merge(op: str, what: str, arity: tuple[int, Optional[int]] = (2, None), extra: int = 0) -> LayerDef:
    # The type says what is computed and the edges show the inputs: nothing to add.
    return LayerDef(op=op, params=MergeParams, infer=_elementwise_shape(op), count_flops=_elementwise_flops(op, extra),
                    family="merge", arity=arity, doc=what, call_style="list", label=no_label)


ADD = _merge("Add", "Element-wise sum of its inputs (broadcast as in Keras).")
SUBTRACT = _merge("Subtract", "Element-wise difference of its two inputs: first minus second (broadcast as in Keras).", arity=(2, 2))
MULTIPLY = _merge("Multiply", "Element-wise product of its inputs (broadcast as in Keras: a (1, 1, C) gate scales an (H, W, C) map).")
AVERAGE = _merge("Average", "Element-wise mean of its inputs (broadcast as in Keras).", extra=1)
MAXIMUM = _merge("Maximum", "Element-wise maximum of its inputs (broadcast as in Keras).")
MINIMUM = _merge("Minimum", "Element-wise minimum of its inputs (broadcast as in Keras).")


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
