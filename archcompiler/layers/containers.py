"""Containers: ``Sequential``, a ``keras.Sequential`` model of its own used as one layer of the network.

``Sequential: {name: stem, layers: [{Conv2D: {filters: 96, kernel_size: 4, strides: 4, name: stem_conv}},
{LayerNormalization: {epsilon: 1.0e-6, name: stem_layernorm}}]}`` is what keras.applications writes as
``keras.Sequential([Conv2D(...), LayerNormalization(...)], name="stem")(x)`` (ConvNeXt's stem and downsampling
blocks): one entry of ``model.layers``, of class ``Sequential``, whose weights are those of its inner layers. Each
inner layer is written as in a ``layers:`` list, with its Keras ``name`` (required: Keras would give it a global
automatic name), and validated with its own type's arguments model at its own position (expand.py). It is held as a
:class:`Member` (type, validated parameters, name), and the layers as :class:`Members`.

Shapes go through the inner layers in order (a shape error names the inner layer); the weights, FLOPs and MACs are
the sum of the inner layers'. Inner layers take one input and make one output (no merges, no layers with several
outputs, no tensor arithmetic); their names are unique in the container and in the model (E321).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Optional

from pydantic import BeforeValidator, Field, WithJsonSchema

from .base import LayerDef, LayerParams, Shape, ShapeError


@dataclass(frozen=True, slots=True)
class Member:
    """One inner layer of a container: its type (a registry key), its validated parameters and its Keras name."""

    op: str
    params: LayerParams
    name: str

    @property
    def defn(self) -> LayerDef:
        from . import REGISTRY

        return REGISTRY[self.op]


@dataclass(frozen=True, slots=True)
class Members:
    """The inner layers of a container, in order."""

    items: tuple[Member, ...]

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_config(self) -> list[dict[str, Any]]:
        """The inner layers as plain data: ``[{"class_name", "config": {..., "name"}}]``, in order."""
        return [{"class_name": m.defn.keras_name, "config": {**m.params.to_config(), "name": m.name}}
                for m in self.items]


def member_problem(op: str, defn: LayerDef) -> Optional[str]:
    """Why a layer of type ``op`` cannot be an inner layer of a Sequential (None when it can)."""
    if op in ("Input", "Sequential"):
        return f"Sequential holds layers; {op} is not one of them"
    if not defn.is_layer:
        return f"Sequential holds layers; {op} is tensor arithmetic (write it after the Sequential)"
    if defn.arity[0] != 1 or defn.input_names:
        return f"Sequential holds layers of one input. Received: {op}"
    if defn.outputs is not None:
        return f"Sequential holds layers of one output. Received: {op}"
    return None


def _to_members(v: Any) -> Any:
    """``[{Conv2D: {filters: 4, name: c}}, ...]`` (from Python; the expander validates specs' entries itself, with
    positions)."""
    if isinstance(v, Members):
        return v
    from . import REGISTRY

    if not isinstance(v, (list, tuple)) or not v:
        raise ValueError(f"Sequential.layers is a non-empty list of layer entries. Received: {v!r}"[:200])
    items = []
    for e in v:
        if isinstance(e, Member):
            items.append(e)
            continue
        if not (isinstance(e, dict) and len(e) == 1 and next(iter(e)) in REGISTRY):
            raise ValueError(f"an inner layer is one layer entry, its type as the key. Received: {e!r}"[:200])
        (op, args), = e.items()
        defn = REGISTRY[op]
        problem = member_problem(op, defn)
        if problem:
            raise ValueError(problem)
        args = dict(args or {})
        name = args.pop("name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"inner layer {op} needs its Keras name (name: ...)")
        items.append(Member(op, defn.params.model_validate(args), name))
    names = [m.name for m in items]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ValueError(f"inner layer name '{dup}' is used twice")
    return Members(tuple(items))


#: The ``layers`` argument: layer entries (each with its ``name``), as in a ``layers:`` list.
MemberList = Annotated[Any, BeforeValidator(_to_members), WithJsonSchema(
    {"type": "array", "minItems": 1, "items": {"x-archc": "Layer"}})]


class SequentialParams(LayerParams):
    """Arguments of a ``keras.Sequential`` used as a layer."""

    layers: MemberList = Field(description="The inner layers, in order, each one entry as in a `layers:` list with "
                                           "its Keras `name`: `[{Conv2D: {filters: 96, kernel_size: 4, name: "
                                           "stem_conv}}, {LayerNormalization: {name: stem_norm}}]`.")


def _walk(p: SequentialParams, ins: list[Shape]) -> list[tuple[Member, list[Shape], Shape]]:
    """Each inner layer with its input and output shapes."""
    x = ins[0]
    out = []
    for m in p.layers:
        try:
            y = m.defn.infer(m.params, [x])
        except ShapeError as e:
            raise ShapeError(f"Sequential inner layer '{m.name}' ({m.op}): {e}", e.code) from None
        out.append((m, [x], y))
        x = y
    return out


def _shape(p: SequentialParams, ins: list[Shape]) -> Shape:
    return _walk(p, ins)[-1][2]


def _params(p: SequentialParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    t = n = 0
    for m, x, y in _walk(p, ins):
        a, b = m.defn.count_params(m.params, x, y)
        t, n = t + a, n + b
    return t, n


def _sum(which: str) -> Any:
    def rule(p: SequentialParams, ins: list[Shape], out: Shape) -> Optional[int]:
        total = 0
        for m, x, y in _walk(p, ins):
            v = getattr(m.defn, which)(m.params, x, y)
            if v is None:
                return None
            total += v
        return total
    return rule


def _label(p: SequentialParams) -> str:
    return " → ".join(m.op for m in p.layers)


SEQUENTIAL = LayerDef(
    op="Sequential", params=SequentialParams, infer=_shape, count_params=_params, count_flops=_sum("count_flops"),
    count_macs=_sum("count_macs"), family="other", positional="layers", wraps=member_problem, keras_module="keras",
    label=_label,
    doc="A `keras.Sequential` model of its own used as one layer: its `layers` (entries as in a `layers:` list, "
        "each with its Keras `name`) run in order, and the model counts it as one layer whose weights are theirs.",
)

LAYERS = (SEQUENTIAL,)
