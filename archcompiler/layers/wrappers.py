"""Wrappers: Bidirectional and TimeDistributed, whose ``layer`` argument is another layer entry.

``Bidirectional: {layer: {LSTM: {units: 32, return_sequences: true}}, merge_mode: concat}``: the inner entry is
written as in a ``layers:`` list and validated with its own type's arguments model (its errors at their own
positions, expand.py); it is held as a :class:`Wrapped` (type + validated parameters). Shapes and counts come from
the inner type's rules:

* Bidirectional runs the inner recurrent layer forwards and a copy of it backwards (twice the weights and FLOPs)
  and merges the two outputs: ``concat`` doubles the last axis, ``sum``/``mul``/``ave`` keep it (one more FLOP per
  element; two for ``ave``), null returns both as outputs ``forward`` and ``backward``. With the inner layer's
  ``return_state`` the states follow, forward then backward (``forward_state_h``, ... ``backward_state_c``).
* TimeDistributed applies the inner layer to every step of the second axis: the output is ``(T, *inner)``, the
  weights are the inner layer's, the FLOPs T times the inner layer's on one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, WithJsonSchema

from .base import LayerDef, LayerParams, Shape, ShapeError, default_name, numel


@dataclass(frozen=True, slots=True)
class Wrapped:
    """The inner layer of a wrapper: its type (a registry key) and its validated parameters."""

    op: str
    params: LayerParams

    @property
    def defn(self) -> LayerDef:
        from . import REGISTRY

        return REGISTRY[self.op]

    def to_config(self) -> dict[str, Any]:
        """The inner layer as plain data: ``{"class_name": <Keras class>, "config": <its arguments>}``."""
        return {"class_name": self.defn.keras_name, "config": self.params.to_config()}


def _to_wrapped(v: Any) -> Any:
    """``{LSTM: {units: 4}}`` (from Python; the expander validates specs' entries itself, with positions)."""
    if isinstance(v, Wrapped):
        return v
    from . import REGISTRY

    if not (isinstance(v, dict) and len(v) == 1 and next(iter(v)) in REGISTRY):
        raise ValueError(f"the wrapped layer is one layer entry, its type as the key ({{LSTM: {{units: 32}}}}). "
                         f"Received: {v!r}"[:200])
    (op, args), = v.items()
    defn = REGISTRY[op]
    if args is not None and not isinstance(args, dict) and defn.positional:
        args = {defn.positional: args}
    return Wrapped(op, defn.params.model_validate(args or {}))


#: The ``layer`` argument: one layer entry (the schema is that of a layer in a ``layers:`` list).
WrappedLayer = Annotated[Any, BeforeValidator(_to_wrapped), WithJsonSchema({"x-archc": "Layer"})]

_LAYER = "The wrapped layer, one entry as in a `layers:` list: `{LSTM: {units: 32}}`."


def _inner(p: Any, ins: list[Shape]) -> tuple[LayerDef, Any]:
    w: Wrapped = p.layer
    defn = w.defn
    return defn, defn.infer(w.params, ins)


# -- Bidirectional ---------------------------------------------------------------------------------------------

class BidirectionalParams(LayerParams):
    """Arguments of ``keras.layers.Bidirectional``."""

    layer: WrappedLayer = Field(description=_LAYER + " A recurrent layer (SimpleRNN, LSTM, GRU).")
    merge_mode: Optional[Literal["sum", "mul", "concat", "ave"]] = Field(
        "concat", description="How the forward and backward outputs are combined; null returns both (outputs "
                              "`forward` and `backward`).")


def _bidi_wraps(op: str, defn: LayerDef) -> Optional[str]:
    return None if defn.family == "recurrent" else f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, " \
                                                   f"GRU). Received: {op}"


def _bidi_outputs(p: BidirectionalParams) -> tuple[str, ...]:
    states = p.layer.defn.output_names(p.layer.params)[1:]
    sides = ("forward", "backward")
    heads = sides if p.merge_mode is None else ("output",)
    return (*heads, *(f"{side}_{s}" for side in sides for s in states))


def _bidi_shape(p: BidirectionalParams, ins: list[Shape]) -> Any:
    defn, out = _inner(p, ins)
    multi = bool(defn.output_names(p.layer.params))
    y, states = (out[0], list(out[1:])) if multi else (out, [])
    if p.merge_mode is None:
        heads = [y, y]
    elif p.merge_mode == "concat":
        heads = [(*y[:-1], None if y[-1] is None else 2 * y[-1])]
    else:
        heads = [y]
    outs = [*heads, *states, *states]
    return tuple(outs) if len(outs) > 1 else outs[0]


def _bidi_params(p: BidirectionalParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    defn, inner_out = _inner(p, ins)
    first = inner_out[0] if defn.output_names(p.layer.params) else inner_out
    t, n = defn.count_params(p.layer.params, ins, first)
    return (2 * t, 2 * n)


def _bidi_flops(p: BidirectionalParams, ins: list[Shape], out: Shape) -> Optional[int]:
    defn, inner_out = _inner(p, ins)
    first = inner_out[0] if defn.output_names(p.layer.params) else inner_out
    f = defn.count_flops(p.layer.params, ins, first)
    n = numel(first)
    if f is None or n is None:
        return None
    merge = {"sum": n, "mul": n, "ave": 2 * n}.get(p.merge_mode or "", 0)
    return 2 * f + merge


def _bidi_macs(p: BidirectionalParams, ins: list[Shape], out: Shape) -> Optional[int]:
    defn, inner_out = _inner(p, ins)
    first = inner_out[0] if defn.output_names(p.layer.params) else inner_out
    m = defn.count_macs(p.layer.params, ins, first)
    return None if m is None else 2 * m


def _wrapper_label(p: Any) -> str:
    w: Wrapped = p.layer
    text = w.defn.label(w.params) if w.defn.label else ""
    return f"{w.op}({text})" if text else w.op


BIDIRECTIONAL = LayerDef(
    op="Bidirectional", params=BidirectionalParams, infer=_bidi_shape, count_params=_bidi_params,
    count_flops=_bidi_flops, count_macs=_bidi_macs, family="recurrent", positional="layer", wraps=_bidi_wraps,
    outputs=_bidi_outputs,
    label=lambda p: _wrapper_label(p) + (f", {p.merge_mode}" if p.merge_mode != "concat" else ""),
    doc="Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two "
        "(`merge_mode`, default `concat`: twice the units). `layer` is the recurrent layer's entry.",
)


# -- TimeDistributed -------------------------------------------------------------------------------------------

class TimeDistributedParams(LayerParams):
    """Arguments of ``keras.layers.TimeDistributed``."""

    layer: WrappedLayer = Field(description=_LAYER + " It is applied to every step of the second axis.")


def _td_wraps(op: str, defn: LayerDef) -> Optional[str]:
    if defn.arity[0] != 1:
        return f"TimeDistributed wraps a layer of one input. Received: {op}"
    return None


def _td_step(x: Shape) -> Shape:
    if len(x) < 2:
        raise ShapeError(f"TimeDistributed expects an input of rank 3 or more (batch, time, ...), batch excluded. "
                         f"Received: input_shape={x}")
    return x[1:]


def _td_shape(p: TimeDistributedParams, ins: list[Shape]) -> Shape:
    (x,) = ins
    defn, out = _inner(p, [_td_step(x)])
    if defn.output_names(p.layer.params):
        raise ShapeError(f"TimeDistributed wraps a layer with one output; this {p.layer.op} has "
                         f"{', '.join(defn.output_names(p.layer.params))}")
    return (x[0], *out)


def _td_counts(which: str):  # noqa: ANN202
    def rule(p: TimeDistributedParams, ins: list[Shape], out: Shape) -> Any:
        step = _td_step(ins[0])
        defn, inner_out = _inner(p, [step])
        value = getattr(defn, which)(p.layer.params, [step], inner_out)
        if which == "count_params":
            return value
        t = ins[0][0]
        return None if value is None or t is None else t * value
    return rule


TIME_DISTRIBUTED = LayerDef(
    op="TimeDistributed", params=TimeDistributedParams, infer=_td_shape, count_params=_td_counts("count_params"),
    count_flops=_td_counts("count_flops"), count_macs=_td_counts("count_macs"), family="other",
    positional="layer", wraps=_td_wraps, label=_wrapper_label,
    doc="Applies `layer` (one entry, e.g. `{Dense: 8}`) to every step of the second axis, with the same weights "
        "at every step.",
)

LAYERS = (BIDIRECTIONAL, TIME_DISTRIBUTED)


def inner_name(wrapper: str, w: Wrapped) -> str:
    """The Keras name of a wrapper's inner layer: its type's default stem (``lstm``: Bidirectional names its two
    copies ``forward_lstm`` and ``backward_lstm``)."""
    return default_name(w.op)
