"""The training section against the model's outputs (training.py): the per-output forms archc accepts, what it
passes to Keras for each (``keras_arguments``), and the E602 rules at their edges. Keras itself is the oracle in
tests/keras/test_multitask_training.py; these run without it."""

from __future__ import annotations

import pytest

import archcompiler
from archcompiler import CompileError
from archcompiler.training import Output, Training, check_outputs, keras_arguments, misfit

TWO = """\
archspec: 1
model:
  inputs: {x: {shape: [8]}}
  layers:
    - Dense: {units: 8, id: trunk}
    - Dense: {units: 3, activation: softmax, id: cls, name: cls}
    - Dense: {units: 1, id: reg, name: reg, inputs: trunk}
  outputs: [cls, reg]
training:
"""

ONE = """\
archspec: 1
model:
  inputs: {x: {shape: [8]}}
  layers:
    - Dense: {units: 4, activation: softmax, name: out}
training:
"""


def arguments(spec: str, section: str) -> dict:
    comp = archcompiler.compile_text(spec + section, "net.yaml")
    return keras_arguments(comp.training, list(comp.graph.outputs))


@pytest.mark.parametrize("section, expected", [
    ("  loss: {reg: mse, cls: sparse_categorical_crossentropy}\n  loss_weights: {reg: 0.5, cls: 2}\n"
     "  metrics: {reg: mae}\n",
     {"loss": ["sparse_categorical_crossentropy", "mse"], "loss_weights": [2.0, 0.5], "metrics": [None, ["mae"]]}),
    ("  loss: [sparse_categorical_crossentropy, mse]\n  metrics: [accuracy, [mae, mse]]\n",
     {"loss": ["sparse_categorical_crossentropy", "mse"], "loss_weights": None,
      "metrics": [["accuracy"], ["mae", "mse"]]}),
    ("  loss: mse\n  loss_weights: [1, 3]\n",
     {"loss": ["mse", "mse"], "loss_weights": [1.0, 3.0], "metrics": None}),
])
def test_several_outputs_go_to_keras_as_lists_in_output_order(section: str, expected: dict) -> None:
    assert arguments(TWO, section) == expected


@pytest.mark.parametrize("section, expected", [
    ("  loss: categorical_crossentropy\n  metrics: [accuracy, [auc, precision]]\n",
     {"loss": "categorical_crossentropy", "loss_weights": None, "metrics": ["accuracy", "auc", "precision"]}),
    ("  loss: {out: categorical_crossentropy}\n  loss_weights: {out: 2}\n  metrics: {out: accuracy}\n",
     {"loss": "categorical_crossentropy", "loss_weights": 2.0, "metrics": ["accuracy"]}),
    ("  loss: [categorical_crossentropy]\n  loss_weights: [0.5]\n",
     {"loss": "categorical_crossentropy", "loss_weights": 0.5, "metrics": None}),
])
def test_one_output_goes_to_keras_as_single_values(section: str, expected: dict) -> None:
    assert arguments(ONE, section) == expected


@pytest.mark.parametrize("section, code, where", [
    ("  loss: [categorical_crossentropy, mse]\n", "E601", "training.loss"),
    ("  loss: {output: categorical_crossentropy}\n", "E600", "training.loss.output"),
    ("  loss: categorical_crossentropy\n  loss_weights: [1, 2]\n", "E601", "training.loss_weights"),
    ("  loss: categorical_crossentropy\n  metrics: {ot: [accuracy]}\n", "E600", "training.metrics.ot"),
    ("  loss: binary_crossentropy\n", "E602", "training.loss"),
])
def test_one_output_model_errors(section: str, code: str, where: str) -> None:
    with pytest.raises(CompileError) as info:
        archcompiler.compile_text(ONE + section, "net.yaml")
    (d,) = info.value.diagnostics
    assert (d.code, ".".join(str(p) for p in d.path)) == (code, where), d.message


def test_a_misspelt_output_is_reported_once_with_a_suggestion() -> None:
    with pytest.raises(CompileError) as info:
        archcompiler.compile_text(TWO + "  loss: {cls: sparse_categorical_crossentropy, rge: mse}\n", "net.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E600" and d.hint == "did you mean 'reg'?"


def out(shape: tuple, softmax: bool = False) -> Output:
    return Output("o", shape, softmax)


@pytest.mark.parametrize("name, output, wrong", [
    ("sparse_categorical_crossentropy", out((1,)), True),
    ("sparse_categorical_crossentropy", out((2,)), False),
    ("sparse_categorical_crossentropy", out((None,)), False),  # unknown: never an error
    ("sparse_categorical_accuracy", out((7, 1)), True),
    ("categorical_crossentropy", out((1,)), True),
    ("categorical_accuracy", out(()), True),
    ("top_k_categorical_accuracy", out((5,)), True),
    ("top_k_categorical_accuracy", out((6,)), False),
    ("sparse_top_k_categorical_accuracy", out((3,)), True),
    ("binary_crossentropy", out((3,), softmax=True), True),
    ("binary_accuracy", out((2,), softmax=True), True),
    ("binary_crossentropy", out((3,)), False),  # a sigmoid (or logits): independent yes/no labels
    ("binary_crossentropy", out((1,), softmax=True), False),
    ("ctc", out((10, 5)), False),
    ("ctc", out((10,)), True),
    ("mse", out((1,), softmax=True), False),
    ("accuracy", out((1,)), False),
])
def test_the_misfit_rules(name: str, output: Output, wrong: bool) -> None:
    assert (misfit(name, output) is not None) == wrong


@pytest.mark.parametrize("last, softmax", [("Softmax: {}", True), ("Softmax: {axis: 1}", False),
                                           ("Activation: softmax", True), ("Activation: sigmoid", False)])
def test_a_softmax_output_is_recognised(last: str, softmax: bool) -> None:
    text = ("archspec: 1\nmodel:\n  inputs: {x: {shape: [4, 8]}}\n  layers:\n    - Dense: 3\n"
            f"    - {last}\ntraining:\n  loss: binary_crossentropy\n")
    if softmax:
        with pytest.raises(CompileError) as info:
            archcompiler.compile_text(text, "net.yaml")
        assert [d.code for d in info.value.diagnostics] == ["E602"]
    else:
        archcompiler.compile_text(text, "net.yaml")


def test_check_outputs_is_empty_for_a_fitting_section() -> None:
    t = Training.model_validate({"loss": {"o": "mse"}, "loss_weights": [1], "metrics": {"o": ["mae"]}})
    assert check_outputs(t, [out((1,))], lambda path: None) == []


def test_an_output_id_is_told_from_its_name() -> None:
    text = TWO.replace("id: reg, name: reg", "id: reg") + "  loss: {cls: sparse_categorical_crossentropy, reg: mse}\n"
    with pytest.raises(CompileError) as info:
        archcompiler.compile_text(text, "net.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E600" and "'reg' is the id of output 'dense_1'" in d.hint and "`name: reg`" in d.hint
