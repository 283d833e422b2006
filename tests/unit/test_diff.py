"""archc diff's core (archcompiler/diff.py): matching layers and block instances (by the names the spec gives, by
place for Keras's automatic names), the changes it reports, and their order."""

from __future__ import annotations

import json
import textwrap

import archcompiler
from archcompiler.diff import ADDED, CHANGED, REMOVED, UNCHANGED, diff, diff_data, merge_order, render

NET = textwrap.dedent("""\
    archspec: 1
    name: net
    params:
      width: {type: int, default: 8}
      blocks: {type: int, default: 2}
      classes: {type: int, default: 3}
    blocks:
      unit:
        params:
          f: {type: int}
        layers:
          - Conv2D: {filters: $f, kernel_size: 3, padding: same}
          - Activation: relu
    model:
      inputs:
        image: {shape: [16, 16, 3]}
      layers:
        - Conv2D: {filters: $width, kernel_size: 3, name: stem}
        - repeat: $blocks
          layers:
            - unit: {f: $width}
        - GlobalAveragePooling2D
        - Dense: {units: $classes, name: head}
    """)


def _comp(**overrides):
    return archcompiler.compile_text(NET, "net.yaml", overrides=overrides or None)


def _layer(d, name):
    return next(x for x in d.layers if x.name == name)


def test_identical_specs_have_no_differences() -> None:
    d = diff(_comp(), _comp())
    assert not d.differs
    assert all(x.status == UNCHANGED for x in (*d.layers, *d.blocks))
    assert all(c.delta == 0 for _, c in d.totals)
    assert "no differences" in render(d, "text")
    assert diff_data(d)["differs"] is False and diff_data(d)["layers"] == []


def test_a_changed_filter_count_is_a_changed_argument_and_its_shape_change_propagates() -> None:
    d = diff(_comp(), _comp(width=16))
    assert d.differs
    stem = _layer(d, "stem")
    assert stem.status == CHANGED
    assert [(g.name, g.a, g.b) for g in stem.arguments] == [("filters", "8", "16")]
    assert stem.output_shape.a == ((14, 14, 8),) and stem.output_shape.b == ((14, 14, 16),)
    # the activation has no weights and no argument change: only its shape changed, downstream of the convolution
    act = next(x for x in d.layers if x.type.a == "Activation")
    assert act.status == CHANGED and act.arguments == () and act.output_shape.differs
    head = _layer(d, "head")
    assert head.status == CHANGED and head.arguments == () and head.params.a == 8 * 3 + 3
    assert head.params.b == 16 * 3 + 3
    params = dict(d.totals)["params"]
    assert params.delta == _comp(width=16).stats.total.total - _comp().stats.total.total
    text = render(d, "text")
    assert "~ stem (Conv2D)" in text and "filters: 8 -> 16" in text


def test_added_and_removed_blocks_and_layers() -> None:
    small, big = _comp(blocks=1), _comp(blocks=3)
    d = diff(small, big)
    statuses = {"/".join(b.scope): b.status for b in d.blocks}
    assert statuses == {"unit_1": UNCHANGED, "unit_2": ADDED, "unit_3": ADDED}
    assert d.count(ADDED) == 4 and d.count(REMOVED) == 0
    added = [b for b in d.blocks if b.status == ADDED]
    per_block = big.stats.blocks[("unit_2",)].total
    assert all(b.params.a is None and b.params.b == per_block for b in added)
    assert dict(d.totals)["params"].delta == 2 * per_block
    back = diff(big, small)
    assert {"/".join(b.scope): b.status for b in back.blocks} == {"unit_1": UNCHANGED, "unit_2": REMOVED,
                                                                 "unit_3": REMOVED}
    data = diff_data(back)
    assert [b["params"]["delta"] for b in data["blocks"]] == [0, -per_block, -per_block]
    # the pooling layer now reads the first unit's output: a changed input, the only changed layer
    assert data["layer_counts"] == {"added": 0, "removed": 4, "changed": 1, "unchanged": back.count(UNCHANGED)}
    assert [x["type"]["b"] for x in data["layers"] if x["status"] == "changed"] == ["GlobalAveragePooling2D"]
    # removed entries keep A's positions: between the first unit and the pooling layer
    names = [x.name for x in back.layers]
    removed = [x.name for x in back.layers if x.status == REMOVED]
    assert names.index(removed[0]) > names.index("activation") and names.index(removed[-1]) < names.index("head")


def test_type_changes_and_outputs() -> None:
    other = NET.replace("GlobalAveragePooling2D", "GlobalMaxPooling2D").replace("{units: $classes, name: head}",
                                                                             "{units: 5, name: head}")
    d = diff(_comp(), archcompiler.compile_text(other, "other.yaml"))
    assert dict(d.outputs)["head"].a == (3,) and dict(d.outputs)["head"].b == (5,)
    assert any(x.status == REMOVED and x.type.a == "GlobalAveragePooling2D" for x in d.layers)
    assert any(x.status == ADDED and x.type.b == "GlobalMaxPooling2D" for x in d.layers)
    assert [(g.name, g.a, g.b) for g in _layer(d, "head").arguments] == [("units", "3", "5")]
    data = json.loads(render(d, "json"))
    assert data["outputs"] == [{"name": "head", "names": {"a": "head", "b": "head"}, "a": [3], "b": [5]}]
    head = next(x for x in data["layers"] if x["name"] == "head")
    assert head["arguments"] == [{"name": "units", "a": 3, "b": 5}]


NESTED = textwrap.dedent("""\
    archspec: 1
    name: nested
    params:
      extra: {type: bool, default: false}
    blocks:
      unit:
        layers:
          - Conv2D: {filters: 4, kernel_size: 3, padding: same}
          - Activation: relu
      pair:
        layers:
          - unit
          - unit
    model:
      inputs:
        image: {shape: [8, 8, 3]}
      layers:
        - Conv2D: {filters: 4, kernel_size: 1, name: stem}
        - if: $extra
          layers:
            - unit
        - pair
        - pair
        - Flatten
        - Dense: {units: 2, name: head}
    """)


def _nested(**overrides):
    return archcompiler.compile_text(NESTED, "nested.yaml", overrides=overrides or None)


def test_an_automatic_name_shift_is_no_change() -> None:
    # one unit more in front renames every later unit instance (unit_1 -> unit_2 ...) and automatic layer name
    # (conv2d -> conv2d_1 ...): the layers in the pairs are still the same layers in the same places
    d = diff(_nested(), _nested(extra=True))
    blocks = {(x.scopes.a, x.scopes.b): x.status for x in d.blocks}
    assert blocks == {(None, ("unit_1",)): ADDED,
                      (("pair_1",), ("pair_1",)): UNCHANGED,
                      (("pair_1", "unit_1"), ("pair_1", "unit_2")): UNCHANGED,
                      (("pair_1", "unit_2"), ("pair_1", "unit_3")): UNCHANGED,
                      (("pair_2",), ("pair_2",)): UNCHANGED,
                      (("pair_2", "unit_3"), ("pair_2", "unit_4")): UNCHANGED,
                      (("pair_2", "unit_4"), ("pair_2", "unit_5")): UNCHANGED}
    assert sum(1 for x in d.blocks if x.renamed) == 4
    assert d.count(ADDED) == 2 and d.count(REMOVED) == 0
    # the one change: the first pair now reads the new unit instead of the stem
    (changed,) = d.changed_layers[2:]
    assert [x.status for x in d.changed_layers] == [ADDED, ADDED, CHANGED]
    assert (changed.names.a, changed.names.b) == ("conv2d", "conv2d_1") and changed.renamed
    assert changed.inputs_differ and not changed.scope_differs and changed.arguments == ()
    assert d.renamed == 8
    assert all(x.names.a == x.names.b for x in d.layers if x.status != ADDED and not x.renamed)
    assert next(x for x in d.layers if x.names.a == "conv2d_2").names.b == "conv2d_3"
    flatten = next(x for x in d.layers if x.type.b == "Flatten")
    assert flatten.status == UNCHANGED and flatten.inputs.a == ("activation_3",)
    assert flatten.inputs.b == ("activation_4",) and not flatten.inputs_differ
    text = render(d, "text", None)
    assert "Layers: 2 added, 0 removed, 1 changed, 11 unchanged; 8 with another automatic name in B" in text
    assert "~ conv2d -> conv2d_1 (Conv2D) @pair_1/unit_2\n    inputs: stem -> activation\n" in text
    assert "Block instances (all levels): 1 differ, 6 unchanged; 4 with another automatic name in B" in text
    data = diff_data(d)
    assert data["renamed"] == {"layers": 8, "blocks": 4}
    assert data["layers"][2]["names"] == {"a": "conv2d", "b": "conv2d_1"}
    assert data["layers"][2]["inputs"] == {"a": ["stem"], "b": ["activation"], "differs": True}
    assert data["blocks"][2]["scopes"] == {"a": "pair_1/unit_1", "b": "pair_1/unit_2"}
    # the other way round: the new unit is removed, the same layer changed, nothing else
    back = diff(_nested(extra=True), _nested())
    assert [(x.status, x.names.a, x.names.b) for x in back.changed_layers] == [
        (REMOVED, "conv2d", None), (REMOVED, "activation", None), (CHANGED, "conv2d_1", "conv2d")]


def test_a_renamed_explicit_layer_is_removed_and_added() -> None:
    other = NESTED.replace("name: head", "name: classifier")
    d = diff(_nested(), archcompiler.compile_text(other, "other.yaml"))
    assert [(x.status, x.name) for x in d.changed_layers] == [(REMOVED, "head"), (ADDED, "classifier")]
    assert [(o, c.a, c.b) for o, c in d.outputs] == [("head", (2,), None), ("classifier", None, (2,))]
    # an explicit name given to a layer that had an automatic one: that layer is removed and another added, and
    # the layers after it keep their place (only the layer reading it changes)
    named = NESTED.replace("- Flatten", "- Flatten: {name: flat}")
    d = diff(_nested(), archcompiler.compile_text(named, "named.yaml"))
    assert [(x.status, x.name) for x in d.changed_layers] == [(REMOVED, "flatten"), (ADDED, "flat"),
                                                              (CHANGED, "head")]
    assert _layer(d, "head").inputs_differ and "inputs: flatten -> flat" in render(d, "text")


def test_merge_order_keeps_b_order_and_a_positions() -> None:
    assert merge_order(["x", "a", "b", "c"], ["a", "n", "c"]) == ["x", "a", "b", "n", "c"]
    assert merge_order([], ["a"]) == ["a"] and merge_order(["a"], []) == ["a"]


def test_diff_is_deterministic() -> None:
    a, b = _comp(), _comp(blocks=3, width=4)
    for fmt in ("text", "json", "markdown"):
        assert render(diff(a, b), fmt) == render(diff(_comp(), _comp(blocks=3, width=4)), fmt)


def test_json_follows_its_schema_and_the_docs_describe_it() -> None:
    import jsonschema

    from archcompiler.diff import diff_schema
    from helpers import ROOT

    schema = diff_schema()
    validator = jsonschema.Draft202012Validator(schema)
    for a, b in ((_comp(), _comp()), (_comp(blocks=1), _comp(blocks=3, width=4)), (_comp(blocks=3), _comp())):
        validator.validate(json.loads(render(diff(a, b), "json")))
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "archcompiler/data/diff.schema.json" in doc
    for key in schema["required"]:
        assert f"`{key}`" in doc, f"docs/cli.md does not describe the diff's {key!r}"
