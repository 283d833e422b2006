"""What a layer's box says in a diagram: the text pieces the label rules of the layer types are written with.

Each :class:`~archcompiler.layers.base.LayerDef` has a ``label`` rule: a function of the layer's validated parameters
returning the arguments a person would write next to the layer on a whiteboard (``3×3/2, 64``, ``relu``, ``0.5``),
or ``""`` when nothing beyond the layer's type, name and output shape helps. The diagram backend
(:mod:`archcompiler.backends.dot`) puts that text after the type in the first line of the layer's box.
"""

from __future__ import annotations

from typing import Any, Optional


def shape_text(shape: tuple) -> str:
    """``(15, 15, 256)`` -> ``15×15×256``, ``(10,)`` -> ``(10)``; unknown dimensions are ``?``."""
    text = "×".join("?" if d is None else str(d) for d in shape)
    return f"({text})" if len(shape) == 1 else text or "scalar"


def size_text(v: Any) -> str:
    """A size per axis: ``(3, 3)`` -> ``3×3``, ``3`` -> ``3``."""
    if isinstance(v, (tuple, list)):
        return "×".join(str(x) for x in v)
    return str(v)


def stride_text(v: Any) -> str:
    """A stride as written after a window: ``/2`` (``(2, 2)``), ``/1×2``; ``""`` for stride 1 or None."""
    if v is None:
        return ""
    vals = v if isinstance(v, (tuple, list)) else (v,)
    if all(x == 1 for x in vals):
        return ""
    return "/" + (str(vals[0]) if len(set(vals)) == 1 else "×".join(str(x) for x in vals))


def activation_text(name: Optional[str]) -> list[str]:
    """A fused activation as a label part: ``["relu"]``; nothing for none or ``linear``."""
    return [name] if name and name != "linear" else []


def borders_text(pad: tuple) -> str:
    """Rows and columns added or removed at each border (``((top, bottom), (left, right))``): ``3`` when they are
    all the same, else every pair."""
    flat = [x for pair in pad for x in pair]
    return str(flat[0]) if len(set(flat)) == 1 else str(list(pad))


def axis_text(axis: Any) -> str:
    """``axis -1``; ``axes 1, 2`` for several."""
    if isinstance(axis, (tuple, list)):
        return "axes " + ", ".join(str(a) for a in axis)
    return f"axis {axis}"


def number_text(x: float) -> str:
    """A float argument as short as it reads: ``0.5``, ``0.00392157``, ``6``."""
    return f"{x:g}"


def no_label(p: Any) -> str:
    """The label rule of layer types whose box needs nothing beyond type, name and shape (Flatten, Add ...)."""
    return ""
