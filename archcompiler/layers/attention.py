"""Attention layers: MultiHeadAttention and Attention, whose inputs are named (``query``, ``value``, ``key``).

An entry gives them by name, ``inputs: {query: x, value: x}``, or by position in that order. The key defaults to
the value. MultiHeadAttention also takes masks by name (``query_mask``, ``value_mask``, ``key_mask``,
``attention_mask``). Their call options (``use_causal_mask``, ``return_attention_scores``) are arguments of the
entry like the others; with ``return_attention_scores`` the layer has a second output, ``id.scores``.

MultiHeadAttention (query ``(T..., dq)``, value ``(S..., dv)``, key ``(S..., dk)``, H heads of size ``key_dim``
and ``value_dim``): four projections with weights ``dq*H*kd``, ``dk*H*kd``, ``dv*H*vd`` and ``H*vd*O`` (O the
output size, ``output_shape`` or dq), each with a bias. FLOPs: each projection ``2 * rows * in * out`` plus its
bias adds, the scaling of the scores (1 per score), the softmax (5 per score) and the two products of the
attention itself, ``2 * scores * key_dim`` and ``2 * scores * value_dim``. Keras computes the attention in one of
two ways, and their FLOPs differ a little: with no dropout, no scores returned and one position axis it calls its
fused ``dot_product_attention``, which scales the scores (1 per score); otherwise it scales the projected query (1
per element) and, with ``use_causal_mask``, compares positions for the mask (1 per query-key pair). TensorFlow's profiler cannot count the
last two (they are ``Einsum`` operations, which it has no rule for); the oracle test adds them from the frozen
graph's Einsum shapes, so the rule is the real work.

Known deviation: Keras's symbolic output shape of MultiHeadAttention's scores is ``(heads, Tq, Tq)`` whatever the
value's length (its ``compute_output_spec`` uses the query's length twice); the tensor it computes, and archc's
type, is ``(heads, Tq, Tv)``.

Attention (query ``(Tq, d)``, value ``(Tv, dv)``, key ``(Tv, d)``): ``dot`` scores are ``2*Tq*Tv*d`` (plus one
per score with ``use_scale``), ``concat`` scores ``Tq*Tv*(2d - 1)`` (the broadcast sum and the sum over d; ``d``
more per score with ``use_scale``) and one product per score by its weight; then the softmax (5 per score) and
``2*Tq*Tv*dv`` for the weighted sum; ``use_causal_mask`` adds 2 per score (the mask's comparison, the masking). Weights: one scalar for ``use_scale``, one for ``concat``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, Field

from .base import (
    Axis, InitializerArg, LayerDef, LayerParams, PositiveInt, RegularizerArg, Shape, ShapeError, doc_initializer,
    doc_regularizer, numel, resolve_axis,
)

_Rate = Annotated[float, Field(strict=True, ge=0, lt=1, allow_inf_nan=False)]
_Seed = Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]]
_CAUSAL = ("Mask the scores so that each query position attends only to positions at or before it (a decoder's "
           "self-attention). A call option.")
_SCORES = ("Also return the attention scores as a second output, `id.scores`. A call option.")


def _to_tuple(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return (v,)
    return tuple(v) if isinstance(v, list) else v


class MultiHeadAttentionParams(LayerParams):
    """Arguments of ``keras.layers.MultiHeadAttention`` and of its call."""

    call_keys = ("use_causal_mask", "return_attention_scores")

    num_heads: PositiveInt = Field(description="Number of attention heads.")
    key_dim: PositiveInt = Field(description="Size of each head for the query and the key.")
    value_dim: Optional[PositiveInt] = Field(None, description="Size of each head for the value; null: key_dim.")
    dropout: _Rate = Field(0.0, description="Fraction of the attention weights dropped in training, in [0, 1).")
    use_bias: bool = Field(True, description="Whether the four projections add a bias.")
    output_shape: Annotated[Optional[tuple[PositiveInt, ...]], BeforeValidator(
        _to_tuple, json_schema_input_type=Optional[Union[PositiveInt, list[PositiveInt]]])] = Field(
        None, description="Size (or shape) of the output's last axes; null: the query's last dimension.")
    attention_axes: Annotated[Optional[tuple[Axis, ...]], BeforeValidator(
        _to_tuple, json_schema_input_type=Optional[Union[Axis, list[Axis]]])] = Field(
        None, description="The axes attention runs over (0 is the batch); null: every axis but the batch and the "
                          "last.")
    kernel_initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the kernels"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the biases"))
    kernel_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the kernels"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the biases"))
    seed: _Seed = Field(None, description="Random seed of the dropout.")
    use_causal_mask: bool = Field(False, description=_CAUSAL)
    return_attention_scores: bool = Field(False, description=_SCORES)

    def to_config(self) -> dict[str, Any]:
        out = super().to_config()
        if out["value_dim"] is None:  # what Keras makes of it (its config says so)
            out["value_dim"] = self.key_dim
        for k in ("output_shape", "attention_axes"):
            if out[k] is not None:
                out[k] = list(out[k])
        return out


def _mha_dims(p: MultiHeadAttentionParams, ins: list[Shape]) -> tuple[Shape, Shape, Shape]:
    query, value = ins[0], ins[1]
    key = ins[2] if len(ins) > 2 and ins[2] is not None else value  # further inputs: optional, then the masks
    for what, x in (("query", query), ("value", value), ("key", key)):
        if len(x) < 2:
            raise ShapeError(f"MultiHeadAttention expects a {what} of rank 3 or more (batch, positions..., "
                             f"features). Received: {what}_shape={x}")
        if x[-1] is None:
            raise ShapeError(f"MultiHeadAttention expects a known last dimension of the {what}. Received: "
                             f"{what}_shape={x}")
    if len(value) != len(query) or len(key) != len(value):
        raise ShapeError(f"MultiHeadAttention expects query, value and key of one rank. Received: "
                         f"query_shape={query}, value_shape={value}, key_shape={key}", "E401")
    if any(a is not None and b is not None and a != b for a, b in zip(key[:-1], value[:-1])):
        raise ShapeError(f"MultiHeadAttention expects key and value of the same shape but for the last dimension. "
                         f"Received: value_shape={value}, key_shape={key}", "E401")
    return query, value, key


def _attention_axes(p: MultiHeadAttentionParams, query: Shape) -> list[int]:
    """The attention axes as indexes of the batch-less query shape (positions, never the last axis)."""
    if p.attention_axes is None:
        return list(range(len(query) - 1))
    axes = sorted({resolve_axis("MultiHeadAttention", a, query) for a in p.attention_axes})
    if any(a == len(query) - 1 for a in axes):
        raise ShapeError(f"MultiHeadAttention cannot attend over the feature axis (the last). Received: "
                         f"attention_axes={list(p.attention_axes)}, query_shape={query}")
    return axes


def _mha_output(p: MultiHeadAttentionParams, query: Shape) -> Shape:
    return (*query[:-1], *(p.output_shape or (query[-1],)))


def _mha_scores(p: MultiHeadAttentionParams, query: Shape, value: Shape) -> Shape:
    axes = _attention_axes(p, query)
    batch = [i for i in range(len(query) - 1) if i not in axes]
    return (*(query[i] for i in batch), p.num_heads, *(query[i] for i in axes), *(value[i] for i in axes))


def _mha_outputs(p: MultiHeadAttentionParams) -> tuple[str, ...]:
    return ("output", "scores") if p.return_attention_scores else ("output",)


def _mha_shape(p: MultiHeadAttentionParams, ins: list[Shape]) -> Any:
    query, value, _ = _mha_dims(p, ins[:3])
    out = _mha_output(p, query)
    return (out, _mha_scores(p, query, value)) if p.return_attention_scores else out


def _mha_sizes(p: MultiHeadAttentionParams, ins: list[Shape]) -> tuple[int, int, int, int, int, int, int]:
    query, value, key = _mha_dims(p, ins[:3])
    h, kd = p.num_heads, p.key_dim
    vd = p.value_dim or kd
    o = math.prod(p.output_shape or (query[-1],))  # type: ignore[arg-type]
    return query[-1], key[-1], value[-1], h, kd, vd, o  # type: ignore[return-value]


def _mha_params(p: MultiHeadAttentionParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    dq, dk, dv, h, kd, vd, o = _mha_sizes(p, ins)
    weights = dq * h * kd + dk * h * kd + dv * h * vd + h * vd * o
    biases = (2 * h * kd + h * vd + o) if p.use_bias else 0
    return (weights + biases, 0)


def _mha_flops(p: MultiHeadAttentionParams, ins: list[Shape], out: Shape) -> Optional[int]:
    query, value, key = _mha_dims(p, ins[:3])
    dq, dk, dv, h, kd, vd, o = _mha_sizes(p, ins)
    nq, nk, nv = numel(query[:-1]), numel(key[:-1]), numel(value[:-1])
    scores = numel(_mha_scores(p, query, value))
    if nq is None or nk is None or nv is None or scores is None:
        return None
    bias = int(p.use_bias)
    flops = nq * h * kd * (2 * dq + bias) + nk * h * kd * (2 * dk + bias) + nv * h * vd * (2 * dv + bias)
    flops += nq * o * (2 * h * vd + bias)  # the output projection
    if _fused(p, query):
        flops += scores  # the scores are scaled
    else:
        flops += nq * h * kd  # the projected query is scaled
        if p.use_causal_mask:  # the mask: one comparison per (query, key) position
            flops += numel(_mha_scores(p, query, value)[-2 * len(_attention_axes(p, query)):]) or 0
    flops += 5 * scores  # softmax
    return flops + 2 * scores * (kd + vd)  # query . key, weights . value


def _fused(p: MultiHeadAttentionParams, query: Shape) -> bool:
    """Whether Keras computes the attention with its fused ``dot_product_attention`` (no dropout, no scores
    returned, one position axis), which scales the scores; otherwise it scales the projected query."""
    return p.dropout == 0 and not p.return_attention_scores and len(query) == 2


def _mha_macs(p: MultiHeadAttentionParams, ins: list[Shape], out: Shape) -> Optional[int]:
    query, value, key = _mha_dims(p, ins[:3])
    dq, dk, dv, h, kd, vd, o = _mha_sizes(p, ins)
    nq, nk, nv = numel(query[:-1]), numel(key[:-1]), numel(value[:-1])
    if nq is None or nk is None or nv is None:
        return None
    return nq * dq * h * kd + nk * dk * h * kd + nv * dv * h * vd + nq * h * vd * o


def _mha_label(p: MultiHeadAttentionParams) -> str:
    parts = [f"{p.num_heads}×{p.key_dim}" + (f"/{p.value_dim}" if p.value_dim and p.value_dim != p.key_dim else "")]
    if p.use_causal_mask:
        parts.append("causal")
    return ", ".join(parts)


MULTI_HEAD_ATTENTION = LayerDef(
    op="MultiHeadAttention", params=MultiHeadAttentionParams, infer=_mha_shape, count_params=_mha_params,
    count_flops=_mha_flops, count_macs=_mha_macs, family="attention", arity=(2, 7),
    input_names=("query", "value", "key", "query_mask", "value_mask", "key_mask", "attention_mask"),
    call_style="named", outputs=_mha_outputs, label=_mha_label,
    doc="Multi-head (scaled dot-product) attention of `query` over `value` (and `key`, default the value), given "
        "by name: `inputs: {query: x, value: x}` for self-attention. Masks by name too (`query_mask`, "
        "`value_mask`, `key_mask`, `attention_mask`). With `return_attention_scores`, a second output `scores` "
        "(heads, query positions, value positions).",
)


class AttentionParams(LayerParams):
    """Arguments of ``keras.layers.Attention`` (dot-product attention, Luong-style) and of its call."""

    call_keys = ("use_causal_mask", "return_attention_scores")

    use_scale: bool = Field(False, description="Multiply the scores by a trainable scalar.")
    score_mode: Literal["dot", "concat"] = Field(
        "dot", description="`dot`: query . key; `concat`: sum of tanh(query + key) over the features.")
    dropout: _Rate = Field(0.0, description="Fraction of the attention weights dropped in training, in [0, 1).")
    seed: _Seed = Field(None, description="Random seed of the dropout.")
    use_causal_mask: bool = Field(False, description=_CAUSAL)
    return_attention_scores: bool = Field(False, description=_SCORES)


def _att_dims(ins: list[Shape]) -> tuple[Shape, Shape, Shape]:
    query, value = ins[0], ins[1]
    key = ins[2] if len(ins) > 2 and ins[2] is not None else value
    for what, x in (("query", query), ("value", value), ("key", key)):
        if len(x) != 2:
            raise ShapeError(f"Attention expects a {what} of rank 3 (batch, positions, features), batch excluded. "
                             f"Received: {what}_shape={x}")
    if query[-1] is not None and key[-1] is not None and query[-1] != key[-1]:
        raise ShapeError(f"Attention expects query and key of the same last dimension. Received: "
                         f"query_shape={query}, key_shape={key}", "E401")
    if key[0] is not None and value[0] is not None and key[0] != value[0]:
        raise ShapeError(f"Attention expects key and value of the same number of positions. Received: "
                         f"value_shape={value}, key_shape={key}", "E401")
    return query, value, key


def _att_outputs(p: AttentionParams) -> tuple[str, ...]:
    return ("output", "scores") if p.return_attention_scores else ("output",)


def _att_shape(p: AttentionParams, ins: list[Shape]) -> Any:
    query, value, _ = _att_dims(ins)
    out = (query[0], value[1])
    return (out, (query[0], value[0])) if p.return_attention_scores else out


def _att_params(p: AttentionParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (int(p.use_scale) + int(p.score_mode == "concat"), 0)


def _att_flops(p: AttentionParams, ins: list[Shape], out: Shape) -> Optional[int]:
    query, value, _ = _att_dims(ins)
    if None in (*query, *value):
        return None
    tq, d = query
    tv, dv = value
    s = tq * tv  # type: ignore[operator]
    if p.score_mode == "dot":
        scores = 2 * s * d + (s if p.use_scale else 0)  # type: ignore[operator]
    else:
        scores = s * (2 * d - 1) + (s * d if p.use_scale else 0) + s  # type: ignore[operator]
    causal = 2 * s if p.use_causal_mask else 0  # the mask's comparison and the masked scores' subtraction
    return scores + causal + 5 * s + 2 * s * dv  # type: ignore[operator]


def _att_label(p: AttentionParams) -> str:
    parts = [] if p.score_mode == "dot" else [p.score_mode]
    if p.use_scale:
        parts.append("scaled")
    if p.use_causal_mask:
        parts.append("causal")
    return ", ".join(parts)


ATTENTION = LayerDef(
    op="Attention", params=AttentionParams, infer=_att_shape, count_params=_att_params, count_flops=_att_flops,
    family="attention", arity=(2, 3), input_names=("query", "value", "key"), call_style="list",
    outputs=_att_outputs, label=_att_label,
    doc="Dot-product (or `concat`) attention of `query` `(Tq, d)` over `value` `(Tv, dv)` (and `key`, default "
        "the value), by name or position. With `return_attention_scores`, a second output `scores` (Tq, Tv).",
)

LAYERS = (MULTI_HEAD_ATTENTION, ATTENTION)
