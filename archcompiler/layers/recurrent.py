"""Recurrent layers: SimpleRNN, LSTM and GRU, over a sequence of shape ``(timesteps, features)``.

Each returns its last output (``units``), or with ``return_sequences`` the output of every step
(``(timesteps, units)``); with ``return_state`` it also returns its final state, as further outputs an entry refers
to as ``id.state_h`` (``id.state_c`` for an LSTM's cell state; ``id.state`` for SimpleRNN and GRU). The same
names are its optional named inputs, the initial state (all of them, or none: zeros), as in a decoder started from
an encoder's final state: ``inputs: {sequences: x, state_h: enc.state_h, state_c: enc.state_c}``.

Weights (F input features, u units): SimpleRNN ``F*u + u*u + u``; LSTM four gates of that; GRU three gates,
with two bias vectors per gate when ``reset_after`` (Keras's default), one otherwise.

FLOPs: TensorFlow's profiler cannot count a recurrent layer: Keras runs the time steps in a ``while`` loop whose
body it does not look into, and it reports 0 (or, for ``unroll: true``, a figure that depends on how TensorFlow
folds the steps). archc counts the real work of every step instead, with the conventions of the other layers
(multiply-add 2, sigmoid and tanh 0, an element-wise product or sum 1 per element), for T time steps:

* SimpleRNN: ``T * (2*F*u + 2*u*u + 2u)`` (two products, the bias and the sum of the two);
* LSTM: ``T * (8*F*u + 8*u*u + 8u + 4u)``: the four gates' products, bias and sum, then
  ``c = f*c + i*g`` (3u) and ``h = o*tanh(c)`` (u);
* GRU: ``T * (6*F*u + 6*u*u + 3u + 6u + 5u)`` with ``reset_after`` (two biases per gate), ``3u`` instead of
  ``6u`` without it: the gates' products, their sums and biases, the reset gate's product and
  ``h = z*h + (1-z)*hh`` (5u in all).

With ``unroll: true`` the steps are plain operations the profiler counts, and it gives exactly these figures;
``tests/keras/test_layer_oracle.py`` checks that, and marks the looped cases ``profiler_blind``. MACs are the
products' multiply-accumulates per step, times T.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import Field

from .activations import activation_flops, add_flops
from .base import (
    ActivationName, InitializerArg, LayerDef, LayerParams, PositiveInt, RegularizerArg, Shape, ShapeError,
    doc_initializer, doc_regularizer,
)
from .labels import activation_text

_Rate = Annotated[float, Field(strict=True, ge=0, lt=1, allow_inf_nan=False)]
_Seed = Optional[Annotated[int, Field(ge=0, le=2**31 - 1, strict=True)]]


class _RNNParams(LayerParams):
    """The arguments the recurrent layers share (Keras's names and defaults)."""

    units: PositiveInt = Field(description="Size of the output and of the state (the new last axis).")
    activation: Optional[ActivationName] = Field(
        "tanh", description="Activation of the candidate state and output; null means none (linear).")
    use_bias: bool = Field(True, description="Whether each gate adds a trainable bias vector.")
    kernel_initializer: InitializerArg = Field("glorot_uniform", description=doc_initializer("the input kernel"))
    recurrent_initializer: InitializerArg = Field("orthogonal",
                                                  description=doc_initializer("the recurrent kernel"))
    bias_initializer: InitializerArg = Field("zeros", description=doc_initializer("the bias"))
    kernel_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the input kernel"))
    recurrent_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the recurrent kernel"))
    bias_regularizer: RegularizerArg = Field(None, description=doc_regularizer("the bias"))
    dropout: _Rate = Field(0.0, description="Fraction of the input units dropped in training, in [0, 1).")
    recurrent_dropout: _Rate = Field(0.0, description="Fraction of the recurrent state units dropped in "
                                                      "training, in [0, 1).")
    seed: _Seed = Field(None, description="Random seed of the dropout masks.")
    return_sequences: bool = Field(False, description="Return the output of every time step "
                                                      "(`(timesteps, units)`), not only the last (`(units)`).")
    return_state: bool = Field(False, description="Also return the final state as further outputs "
                                                  "(`id.state_h`, `id.state_c` for an LSTM; `id.state` otherwise).")
    go_backwards: bool = Field(False, description="Process the sequence backwards (and return the output "
                                                  "sequence reversed).")
    unroll: bool = Field(False, description="Unroll the time loop (faster for short sequences, more memory); "
                                            "needs a known number of time steps.")


class SimpleRNNParams(_RNNParams):
    """Arguments of ``keras.layers.SimpleRNN``."""


class LSTMParams(_RNNParams):
    """Arguments of ``keras.layers.LSTM``."""

    recurrent_activation: Optional[ActivationName] = Field(
        "sigmoid", description="Activation of the input, forget and output gates.")
    unit_forget_bias: bool = Field(True, description="Add 1 to the forget gate's bias at initialisation.")


class GRUParams(_RNNParams):
    """Arguments of ``keras.layers.GRU``."""

    recurrent_activation: Optional[ActivationName] = Field(
        "sigmoid", description="Activation of the update and reset gates.")
    reset_after: bool = Field(True, description="Apply the reset gate after the recurrent product (Keras's and "
                                                "cuDNN's convention; two bias vectors per gate) or before it.")


#: Gates per type: the multiples of the kernels' columns.
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_STATES = {"SimpleRNN": ("state",), "LSTM": ("state_h", "state_c"), "GRU": ("state",)}


def _features(op: str, x: Shape) -> int:
    if len(x) != 2:
        raise ShapeError(f"{op} expects an input of rank 3 (batch, timesteps, features), batch excluded. Received: "
                         f"input_shape={x}")
    if x[1] is None:
        raise ShapeError(f"{op} expects a known number of features (the last axis). Received: input_shape={x}")
    return x[1]


def _outputs(op: str):  # noqa: ANN202
    def names(p: _RNNParams) -> tuple[str, ...]:
        return ("output", *_STATES[op]) if p.return_state else ("output",)
    return names


def _infer(op: str):  # noqa: ANN202
    def infer(p: _RNNParams, ins: list[Shape]) -> Any:
        x = ins[0]
        _features(op, x)
        _check_states(op, p, ins[1:])
        if p.unroll and x[0] is None:
            raise ShapeError(f"{op} with unroll: true expects a known number of time steps. Received: "
                             f"input_shape={x}")
        out: Shape = (x[0], p.units) if p.return_sequences else (p.units,)
        if not p.return_state:
            return out
        return (out, *((p.units,) for _ in _STATES[op]))
    return infer


def _check_states(op: str, p: _RNNParams, states: list[Shape]) -> None:
    """An initial state is every state of the layer (LSTM: state_h and state_c), each of shape (units,)."""
    if not states:
        return
    names = _STATES[op]
    if len(states) != len(names) or any(s is None for s in states):
        raise ShapeError(f"{op}'s initial state is {' and '.join(names)}, all of them. Received: "
                         f"{sum(s is not None for s in states)} of {len(names)}", "E322")
    for name, s in zip(names, states):
        if tuple(s) not in ((p.units,), (None,)):
            raise ShapeError(f"{op} expects an initial {name} of shape ({p.units},) (its units). Received: "
                             f"{name}_shape={s}", "E401")


def _count(op: str):  # noqa: ANN202
    def count(p: Any, ins: list[Shape], out: Shape) -> tuple[int, int]:
        f, u, g = _features(op, ins[0]), p.units, _GATES[op]
        biases = (2 if op == "GRU" and p.reset_after else 1) * g * u if p.use_bias else 0
        return (g * (f * u + u * u) + biases, 0)
    return count


def step_flops(op: str, p: Any, features: int) -> int:
    """FLOPs of one time step (batch of one) of a recurrent layer with ``features`` inputs (see the module doc)."""
    f, u, g = features, p.units, _GATES[op]
    flops = 2 * g * (f * u + u * u) + g * u  # the input and recurrent products, and their sum
    if p.use_bias:
        flops += (2 if op == "GRU" and p.reset_after else 1) * g * u
    if op == "LSTM":
        flops += 4 * u
    elif op == "GRU":
        flops += 5 * u
    return add_flops(flops, activation_flops(p.activation, (u,))) or 0


def _flops(op: str):  # noqa: ANN202
    def flops(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
        t = ins[0][0]
        return None if t is None else t * step_flops(op, p, _features(op, ins[0]))
    return flops


def _macs(op: str):  # noqa: ANN202
    def macs(p: Any, ins: list[Shape], out: Shape) -> Optional[int]:
        t = ins[0][0]
        f, u = _features(op, ins[0]), p.units
        return None if t is None else t * _GATES[op] * (f * u + u * u)
    return macs


def _label(p: _RNNParams) -> str:
    parts = [str(p.units), *(a for a in activation_text(p.activation) if a != "tanh")]
    if p.return_sequences:
        parts.append("sequences")
    if p.return_state:
        parts.append("state")
    if p.go_backwards:
        parts.append("backwards")
    return ", ".join(parts)


def _rnn(op: str, params: type[LayerParams], doc: str) -> LayerDef:
    return LayerDef(op=op, params=params, infer=_infer(op), count_params=_count(op), count_flops=_flops(op),
                    count_macs=_macs(op), family="recurrent", positional="units", doc=doc, label=_label,
                    outputs=_outputs(op), input_names=("sequences", *_STATES[op]), arity=(1, 1 + len(_STATES[op])),
                    call_style="sequence")


SIMPLE_RNN = _rnn("SimpleRNN", SimpleRNNParams,
                  "Fully connected recurrent layer: `h = activation(x @ W + h @ U + b)` at each time step of a "
                  "`(timesteps, features)` input. With `return_state`, a second output `state` (the last h).")
LSTM = _rnn("LSTM", LSTMParams,
            "Long short-term memory over a `(timesteps, features)` input: input, forget and output gates and a cell "
            "state. With `return_state`, two more outputs: `state_h` (the last output) and `state_c` (the last "
            "cell state).")
GRU = _rnn("GRU", GRUParams,
           "Gated recurrent unit over a `(timesteps, features)` input: update and reset gates. With `return_state`, "
           "a second output `state` (the last output).")

LAYERS = (SIMPLE_RNN, LSTM, GRU)
