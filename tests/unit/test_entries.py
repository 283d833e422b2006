"""The entry grammar (entries.py) read once into typed entries; the expander's scopes, passes and linear costs."""

from __future__ import annotations

import gc
import textwrap
from collections import ChainMap

import pytest

from archcompiler import CompileError, compile_text, entries, expand, pipeline, spec
from archcompiler import layers as registry
from archcompiler.diagnostics import Frame
from archcompiler.entries import (
    BlockCall, Conditional, ForLoop, Invalid, LayerCall, OwnKeys, Repeat, classify,
)
from archcompiler.parse import parse
from archcompiler.schema import build_schema
from archcompiler.source import SourceFile


def read(text: str, blocks: tuple = ("res",)):
    """The typed form of the one entry in ``text`` (a YAML list of one item)."""
    doc = parse(SourceFile("t.yaml", textwrap.dedent(text).lstrip("\n")))
    return classify(doc.data[0], doc, (0,), registry.REGISTRY, blocks)


def compiled(text: str, **kw):
    return compile_text(textwrap.dedent(text).lstrip("\n"), "t.yaml", **kw)


def errors(text: str) -> list[tuple[str, str]]:
    with pytest.raises(CompileError) as info:
        compiled(text)
    return [(d.code, d.message) for d in info.value.diagnostics]


# -- the grammar, declared once ---------------------------------------------------------------------------------

def test_the_spec_models_and_the_schema_use_the_declared_keys() -> None:
    assert spec.RESERVED_KEYS is entries.RESERVED_KEYS == ("id", "inputs", "name", "trainable")
    assert entries.LOOP_KEYS == ("repeat", "for", "in", "var", "start", "layers")
    assert entries.IF_KEYS == ("if", "layers", "else")
    defs = build_schema()["$defs"]
    assert tuple(defs["RepeatEntry"]["properties"]) == entries.LOOP_KEYS
    assert tuple(defs["IfEntry"]["properties"]) == entries.IF_KEYS
    assert tuple(defs["BlockCall"]["properties"]) == entries.RESERVED_KEYS
    assert tuple(defs["Layer"]["properties"])[-4:] == entries.RESERVED_KEYS
    for key, (doc, _) in entries.RESERVED.items():
        assert defs["BlockCall"]["properties"][key]["description"] == doc
    control = [s["required"][0] for s in defs["BlockCall"]["not"]["anyOf"] if s["required"][0] not in registry.REGISTRY]
    assert tuple(control) == entries.CONTROL_KEYS
    assert set(entries.BODY_KEYS) <= set(entries.LOOP_KEYS) | set(entries.IF_KEYS)


# -- reading entries --------------------------------------------------------------------------------------------

def test_layer_calls_in_each_spelling() -> None:
    e = read("- Conv2D: {filters: 8, kernel_size: 3, id: c}")
    assert isinstance(e, LayerCall) and e.op == "Conv2D" and e.problem is None
    assert e.args == (("filters", 8, (0, "Conv2D", "filters")), ("kernel_size", 3, (0, "Conv2D", "kernel_size")))
    assert e.own == OwnKeys(id=("c", (0, "Conv2D", "id"))) and e.key_path == (0, "Conv2D") and e.path == (0,)
    short = read("- Dense: 10")
    assert isinstance(short, LayerCall) and short.args == (("units", 10, (0, "Dense")),)
    bare = read("- Flatten")
    assert isinstance(bare, LayerCall) and bare.args == () and bare.key_path == (0,) and bare.own is entries.NO_OWN_KEYS


def test_keys_beside_the_type_win_over_the_same_keys_inside() -> None:
    e = read("""
        - Dense: {units: 4, name: inside, id: a}
          name: beside
        """)
    assert e.own.name == ("beside", (0, "name")) and e.own.id == ("a", (0, "Dense", "id"))


def test_block_calls_loops_and_conditionals() -> None:
    call = read("- res: {channels: 8, inputs: [a, b]}")
    assert isinstance(call, BlockCall) and call.block == "res" and call.args[0][:2] == ("channels", 8)
    assert call.own.inputs == (["a", "b"], (0, "res", "inputs"))
    rep = read("""
        - repeat: 3
          var: k
          layers: [Flatten, {Dense: 2}]
        """)
    assert isinstance(rep, Repeat) and (rep.count, rep.start, rep.var) == (3, 0, "k")
    assert [type(x) for x in rep.body.entries] == [LayerCall, LayerCall] and rep.body.path == (0, "layers")
    assert rep.body.entries[1].path == (0, "layers", 1)
    loop = read("""
        - for: w
          in: [1, 2]
          layers: [{Dense: $w}]
        """)
    assert isinstance(loop, ForLoop) and (loop.var, loop.values) == ("w", [1, 2])
    cond = read("""
        - if: $deep
          layers: [Flatten]
          else: [ReLU]
        """)
    assert isinstance(cond, Conditional) and cond.cond == "$deep"
    assert cond.then.entries[0].op == "Flatten" and cond.otherwise.entries[0].path == (0, "else", 0)


@pytest.mark.parametrize("text,code,start", [
    ("- {Dense: 3, ReLU: null}", "E201", "an entry names one layer or block type as its key; found several"),
    ("- {id: x}", "E201", "an entry names one layer or block type as its key; found no layer"),
    ("- 3", "E201", "an entry must be a layer or block name or a one-key mapping"),
    ("- Dense2D: 3", "E203", "unknown layer or block type 'Dense2D'"),
    ("- {repeat: 2, for: i, in: [1], layers: [Flatten]}", "E201", "a loop has either"),
    ("- {for: i, layers: [Flatten]}", "E202", "missing required key 'in'"),
    ("- {repeat: 2, layerz: [Flatten]}", "E200", "unknown key 'layerz'"),
    ("- {if: true}", "E202", "missing required key 'layers'"),
])
def test_what_is_no_entry_is_invalid_with_its_problems(text: str, code: str, start: str) -> None:
    e = read(text)
    assert isinstance(e, Invalid) and e.path == (0,)
    found = [p for p in e.problems if p.code == code and p.message.startswith(start)]
    assert found and found[0].span is not None and not found[0].chain


def test_a_body_that_is_not_arguments_is_kept_for_later() -> None:
    e = read("- res: 3")
    assert isinstance(e, BlockCall) and e.problem is not None and e.problem.code == "E201"
    assert e.problem.message == "block 'res' takes a mapping of arguments. Received: int 3"
    # reported in its place among the call's own checks: a recursive call is that first
    assert errors("""
        blocks:
          res:
            layers: [{res: 3}]
        model:
          inputs: {x: {shape: [4]}}
          layers: [res]
        """) == [("E311", "block 'res' uses itself: res -> res")]


def test_called_blocks_walks_loops_and_conditionals() -> None:
    data = [{"repeat": 2, "layers": ["a", {"if": True, "layers": [{"b": {}}], "else": [{"c": None}]}]}, "Dense"]
    assert entries.called_blocks(data, {"a", "b", "c", "d"}) == {"a", "b", "c"}


# -- scopes ------------------------------------------------------------------------------------------------------

def test_a_loop_iteration_shares_the_flow_and_a_block_call_has_its_own() -> None:
    doc = parse(SourceFile("t.yaml", "[]"))
    flow = expand.Flow({"x": expand.Handle(0)}, 0)
    outer = expand.Scope({"n": 1}, flow, doc, ("b_1",), (), ("b",), False)
    it = outer.inner(expand.bind(outer.env, {"i": 2}))
    assert it.flow is flow and it.env == {"n": 1, "i": 2} and outer.env == {"n": 1}
    assert (it.instance, it.stack, it.trainable) == (("b_1",), ("b",), False)
    frame = Frame("c", "c_1", None)
    call = outer.inner({"name": "c_1"}, frame, doc, expand.Flow({}, 0), True)
    assert call.flow is not flow and call.instance == ("b_1", "c_1") and call.chain == (frame,)
    assert call.stack == ("b", "c") and call.trainable


def test_binding_a_name_never_copies_a_large_environment() -> None:
    small = {f"p{i}": i for i in range(3)}
    assert expand.bind(small, {"i": 0}) == {**small, "i": 0} and "i" not in small
    large = {f"p{i}": i for i in range(10_000)}
    env = expand.bind(large, {"p1": "new", "i": 0})
    assert isinstance(env, ChainMap) and len(env.maps[0]) == 2 and "i" not in large
    assert env["p1"] == "new" and env["p2"] == 2 and list(env) == list({**large, "p1": "new", "i": 0})
    deeper = expand.bind(env, {"j": 1})
    assert isinstance(deeper, ChainMap) and len(deeper.maps) == 3 and deeper["i"] == 0 and "j" not in env


def test_loop_variables_and_block_names_do_not_leak() -> None:
    found = errors("""
        blocks:
          b:
            layers: [{Dense: 2}]
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - repeat: 2
              var: k
              layers: [b]
            - Dense: ${k}
            - Dense: ${name}
        """)
    assert [c for c, _ in found] == ["E301", "E301"]


# -- the passes --------------------------------------------------------------------------------------------------

def draft(op: str, name: str | None = None, inputs: tuple = ()) -> expand._Draft:
    return expand._Draft(op, None, inputs, (), None, (), name, True)


def test_the_naming_pass_gives_keras_names_around_explicit_ones() -> None:
    drafts = [draft("Input", "x"), draft("Dense", inputs=(0,)), draft("Dense", "dense_1", (1,)),
              draft("Dense", inputs=(2,)), draft("BatchNormalization", inputs=(3,))]
    assert expand.assign_names(drafts) == ["x", "dense", "dense_1", "dense_2", "batch_normalization"]


def test_the_unused_output_pass() -> None:
    drafts = [draft("Input", "x"), draft("Dense", "a", (0,)), draft("Dense", "b", (0,)), draft("Add", "c", (1, 0))]
    found = expand.unused_outputs(drafts, ["x", "a", "b", "c"], [3])
    assert [(d.code, d.message) for d in found] == [("E403", "the output of layer 'b' (Dense) is never used")]


def test_the_collector_is_paused_while_the_stages_run_and_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "model:\n  inputs: {x: {shape: [4]}}\n  layers: [{Dense: 2}]\n"
    seen = []
    run, infer = expand.Expander.expand_model, pipeline.infer_partial

    def watched_run(self):  # type: ignore[no-untyped-def]
        seen.append(("expand", gc.isenabled()))
        return run(self)

    def watched_infer(*args):  # type: ignore[no-untyped-def]
        seen.append(("infer", gc.isenabled()))
        return infer(*args)
    monkeypatch.setattr(expand.Expander, "expand_model", watched_run)
    monkeypatch.setattr(pipeline, "infer_partial", watched_infer)
    assert gc.isenabled()
    compile_text(text, "t.yaml")
    assert seen == [("expand", False), ("infer", False)] and gc.isenabled()
    with pytest.raises(CompileError):
        compile_text(text.replace("2}", "0}"), "t.yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        compile_text(text, "t.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert len(seen) == 6  # three compilations, each expanded and inferred (a failed expansion's graph too)


# -- linear cost: what is done once ------------------------------------------------------------------------------

def test_each_entry_is_read_once_however_often_it_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    read = []
    real = entries.classify

    def counting(entry, doc, path, *rest):  # type: ignore[no-untyped-def]
        read.append(path)
        return real(entry, doc, path, *rest)
    monkeypatch.setattr(entries, "classify", counting)
    comp = compiled("""
        blocks:
          b:
            layers: [{Dense: 2}, {repeat: 3, layers: [ReLU]}]
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - repeat: 50
              layers: [b]
        """)
    assert len(comp.graph.nodes) == 1 + 50 * 4
    assert sorted(read) == sorted([("model", "layers", 0), ("model", "layers", 0, "layers", 0),
                                   ("blocks", "b", "layers", 0), ("blocks", "b", "layers", 1),
                                   ("blocks", "b", "layers", 1, "layers", 0)])


def test_equal_arguments_are_validated_once_and_types_are_told_apart() -> None:
    comp = compiled("""
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - repeat: 20
              layers: [{Dense: {units: 4, use_bias: true}}]
            - Dropout: 0.0
            - Dropout: -0.0
        """)
    dense = [n.params for n in comp.graph.nodes if n.op == "Dense"]
    assert len(dense) == 20 and all(p is dense[0] for p in dense)
    drops = [n for n in comp.graph.nodes if n.op == "Dropout"]
    assert drops[0].params is not drops[1].params
    # `1` is not `true`, nor `2.0` an int, even after the same arguments of the other type were validated
    assert [c for c, _ in errors("""
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - Dense: {units: 4, use_bias: true}
            - Dense: {units: 4, use_bias: 1}
            - Dense: {units: 2}
            - Dense: {units: 2.0}
        """)] == ["E201", "E201"]


def test_a_long_loop_sees_every_parameter_of_a_spec_with_many() -> None:
    params = "\n".join(f"  p{i}: {i}" for i in range(2000))
    text = f"params:\n{params}\nmodel:\n  inputs: {{x: {{shape: [4]}}}}\n  layers:\n" \
           f"    - repeat: 2000\n      layers: [{{Dense: \"${{p1999 - i + 1}}\"}}]\n"
    graph = compile_text(text, "t.yaml").graph
    assert len(graph.nodes) == 2001 and [n.params.units for n in graph.nodes[1::1999]] == [2000, 1]
