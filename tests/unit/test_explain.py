"""Provenance (archcompiler/explain.py): where a layer's argument got its value, through blocks, loops, extends
defaults, --set overrides and Keras defaults."""

from __future__ import annotations

import textwrap

import pytest

import archcompiler
from archcompiler.explain import ExplainError, block_arguments, explain

NET = textwrap.dedent("""\
    archspec: 1
    name: net
    params:
      width: {type: int, default: 8}
      classes: {type: int, default: 3}
    blocks:
      unit:
        params:
          f: {type: int}
          k: {type: int, default: 3}
        layers:
          - Conv2D: {filters: $f, kernel_size: $k, padding: same}
          - Activation: relu
    model:
      inputs:
        image: {shape: [16, 16, 3]}
      layers:
        - Conv2D: {filters: $width, kernel_size: 3, name: stem}
        - for: i
          in: [1, 2]
          layers:
            - unit: {f: "${width * i}", name: "u${i}"}
        - GlobalAveragePooling2D
        - Dense: {units: $classes, name: head}
    """)


def _comp(**overrides):
    return archcompiler.compile_text(NET, "net.yaml", overrides=overrides or None)


def test_an_argument_through_a_block_and_a_loop() -> None:
    d = explain(_comp(), "conv2d_1.filters")  # the Conv2D of instance u2
    assert d["layer"] == "conv2d_1" and d["at"] == "net.yaml:12:9"
    assert [(f["block"], f["instance"], f["at"]) for f in d["blocks"]] == [("unit", "u2", "net.yaml:22:11")]
    arg = d["argument"]
    assert arg["value"] == 16 and arg["written"] == "filters: $f" and arg["at"] == "net.yaml:12:27"
    (f,) = arg["reads"]
    assert (f["name"], f["from"], f["value"], f["at"], f["written"]) == (
        "f", "argument", 16, "net.yaml:22:21", 'f: "${width * i}"')
    reads = {r["name"]: r for r in f["reads"]}
    width, i = reads["width"], reads["i"]
    assert (width["name"], width["from"], width["at"]) == ("width", "param", "net.yaml:4:31")
    assert (i["name"], i["from"], i["value"], i["written"]) == ("i", "loop", 2, "for i in [1, 2]")


def test_a_block_parameter_default() -> None:
    (k,) = explain(_comp(), "conv2d.kernel_size")["argument"]["reads"]
    assert (k["from"], k["value"], k["at"], k["owner"]) == ("default", 3, "net.yaml:10:31", "block 'unit'")


def test_a_set_override() -> None:
    (c,) = explain(_comp(classes=5), "head.units")["argument"]["reads"]
    assert (c["from"], c["value"], c["at"], c["written"]) == ("set", 5, None, "--set classes=5")


def test_an_argument_not_written_is_the_keras_default() -> None:
    arg = explain(_comp(), "head.use_bias")["argument"]
    assert (arg["from"], arg["value"], arg["written"]) == ("keras default", True, None)


def test_a_default_inherited_through_extends(tmp_path) -> None:
    (tmp_path / "base.yaml").write_text(NET, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("archspec: 1\nname: child\nextends: base.yaml\nparams:\n  classes: 7\n", encoding="utf-8")
    comp = archcompiler.load(child)
    (c,) = explain(comp, "head.units")["argument"]["reads"]
    assert c["value"] == 7 and c["at"].endswith("child.yaml:5:12")
    (w,) = explain(comp, "stem.filters")["argument"]["reads"]
    assert w["at"].endswith("base.yaml:4:31")


def test_block_instances_and_their_parameters() -> None:
    comp = _comp()
    d = explain(comp, "u1")
    assert d["block"] == "unit" and d["at"] == "net.yaml:22:11"
    assert {k: v["from"] for k, v in d["arguments"].items()} == {"f": "argument", "k": "default"}
    assert explain(comp, "u1.f")["argument"]["value"] == 8
    args = block_arguments(comp)
    assert set(args) == {"u1", "u2"} and args["u2"]["f"]["value"] == 16


@pytest.mark.parametrize("path, message", [
    ("stme", "the model has no layer or block instance 'stme'; did you mean 'stem'?"),
    ("stem.filterz", "Conv2D has no argument 'filterz'; did you mean 'filters'? (its arguments: filters,"),
    ("u1.g", "block 'unit' has no parameter 'g'"),
])
def test_unknown_paths(path: str, message: str) -> None:
    with pytest.raises(ExplainError, match="^" + message.replace("(", r"\(").replace("?", r"\?")):
        explain(_comp(), path)
