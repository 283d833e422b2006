"""archc diff's core (archcompiler/diff.py): matching layers by name and block instances by path, the changes it
reports, and their order."""

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
    assert data["outputs"] == [{"name": "head", "a": [3], "b": [5]}]
    head = next(x for x in data["layers"] if x["name"] == "head")
    assert head["arguments"] == [{"name": "units", "a": 3, "b": 5}]


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
