"""Properties checked on generated input (hypothesis): shape rules, repeats, parsing, and robustness."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcompiler import CompileError, compile_text
from archcompiler.layers import REGISTRY, ShapeError
from archcompiler.parse import parse
from archcompiler.source import SourceFile

from helpers import tree_paths

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def positions(n: int, k: int, s: int, d: int, padding: str) -> int:
    """Counts window positions by walking the (padded) input: an independent check of the closed forms."""
    span = (k - 1) * d + 1
    if padding == "same":
        out = math.ceil(n / s)
        total = max((out - 1) * s + span - n, 0)
        n, start = n + total, 0
    else:
        start = 0
    count, i = 0, start
    while i + span <= n:
        count += 1
        i += s
    return count


@FAST
@given(n=st.integers(1, 64), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), c=st.integers(1, 8), f=st.integers(1, 8))
def test_conv2d_output_size(n, k, s, d, padding, c, f) -> None:
    if s > 1 and d > 1:
        return  # Keras refuses strides > 1 with dilation > 1
    defn = REGISTRY["Conv2D"]
    p = defn.params(filters=f, kernel_size=k, strides=s, dilation_rate=d, padding=padding)
    want = positions(n, k, s, d, padding)
    if want < 1:
        try:
            defn.infer(p, [(n, n, c)])
        except ShapeError as e:
            assert e.code == "E402"
            return
        raise AssertionError("expected E402")
    assert defn.infer(p, [(n, n, c)]) == (want, want, f)
    trainable, frozen = defn.count_params(p, [(n, n, c)], (want, want, f))
    assert (trainable, frozen) == (k * k * c * f + f, 0)


@FAST
@given(n=st.integers(1, 64), k=st.integers(1, 5), s=st.integers(1, 5), padding=st.sampled_from(["valid", "same"]),
       op=st.sampled_from(["MaxPooling2D", "AveragePooling2D"]))
def test_pooling_output_size(n, k, s, padding, op) -> None:
    defn = REGISTRY[op]
    p = defn.params(pool_size=k, strides=s, padding=padding)
    want = positions(n, k, s, 1, padding)
    if want < 1:
        try:
            defn.infer(p, [(n, n, 3)])
        except ShapeError:
            return
        raise AssertionError("expected a shape error")
    assert defn.infer(p, [(n, n, 3)]) == (want, want, 3)


@FAST
@given(times=st.integers(0, 12), width=st.integers(1, 16))
def test_repeat_is_linear(times, width) -> None:
    text = f"""
blocks:
  unit:
    layers: [Dense: {width}]
model:
  inputs: {{x: {{shape: [{width}]}}}}
  layers:
    - Dense: {width}
    - repeat: {times}
      layers: [unit]
"""
    c = compile_text(text, "t.yaml")
    assert len(c.graph.blocks) == times
    assert len(c.graph.nodes) == 2 + times
    assert c.stats.total.total == (times + 1) * (width * width + width)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(allow_nan=False, allow_infinity=False,
                                                                         width=32)
    | st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text("abcdefghij_", min_size=1, max_size=8), children, max_size=4),
    max_leaves=20)


@FAST
@given(value=st.dictionaries(st.text("abcxyz", min_size=1, max_size=5), json_values, min_size=1, max_size=5))
def test_yaml_and_json_loaders_agree(value) -> None:
    """JSON is YAML 1.2: the same text read as .json and as .yaml gives the same data (and json's)."""
    for as_json in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=2)):
        expected = json.loads(as_json)
        assert parse(SourceFile("t.json", as_json)).data == expected
        if "\\ud" not in as_json:  # YAML has no surrogate-pair escapes
            assert parse(SourceFile("t.yaml", as_json)).data == expected


@FAST
@given(value=st.dictionaries(st.text("abcxyz", min_size=1, max_size=5),
                             st.integers(-1000, 1000) | st.text("klmnop", min_size=1, max_size=6),
                             min_size=1, max_size=6))
def test_positions_point_at_the_values(value) -> None:
    text = yaml.safe_dump(value, default_flow_style=False)
    doc = parse(SourceFile("t.yaml", text))
    lines = text.splitlines()
    for key, v in value.items():
        span = doc.span((key,))
        line = lines[span.line - 1]
        assert line[span.col - 1:span.end_col - 1].strip("'\"") == str(v)
        k = doc.span((key,), key=True)
        assert lines[k.line - 1][k.col - 1:].startswith(key) or lines[k.line - 1][k.col - 1:].startswith(("'", '"'))


def _reference_data() -> list[tuple[str, dict]]:
    out = []
    for name in ("resnet50_signs.yaml", "squeezenet.yaml", "preact_resnet_cifar.yaml", "resnet18.yaml"):
        path = ROOT / "specs" / name
        out.append((name, parse(SourceFile.read(path)).data))
    return out


REFERENCE_DATA = _reference_data()
garbage = (st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(-1e3, 1e3) | st.sampled_from(
    ["relu", "same", "${i", "${nope}", "$x", "${1/0}", "${[1][3]}", "_", "a/b", "", "${'a' * 99999999}",
     "${range(100000)}", "x" * 300]) | st.lists(st.integers(-2, 300), max_size=4)
    | st.dictionaries(st.sampled_from(["units", "filters", "id", "inputs", "name", "repeat"]), st.integers(-1, 9),
                      max_size=2))


def _mutate(data, draw_path, replacement):
    data = copy.deepcopy(data)
    node = data
    for step in draw_path[:-1]:
        node = node[step]
    last = draw_path[-1]
    if replacement == "__delete__":
        if isinstance(node, dict):
            del node[last]
        else:
            node.pop(last)
    else:
        node[last] = replacement
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_specs_fail_only_with_compile_errors(data) -> None:
    """Random edits of real specs either compile or give CompileErrors with positions, never anything else."""
    name, spec = data.draw(st.sampled_from(REFERENCE_DATA))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(tree_paths(spec))
        path = data.draw(st.sampled_from(paths))
        spec = _mutate(spec, path, data.draw(st.just("__delete__") | garbage))
    text = yaml.safe_dump(spec, sort_keys=False)
    try:
        compile_text(text, str(ROOT / "specs" / name), base_dir=ROOT / "specs")
    except CompileError as e:
        assert e.diagnostics and all(d.code for d in e.diagnostics)
        e.render()


@FAST
@given(text=st.text(max_size=300))
def test_arbitrary_text_fails_only_with_compile_errors(text) -> None:
    for name in ("t.yaml", "t.json"):
        try:
            compile_text(text, name)
        except CompileError as e:
            e.render()


@FAST
@given(ws=st.lists(st.integers(-50, 50), max_size=12), vs=st.lists(st.integers(-5, 5), max_size=5),
       a=st.integers(-3, 3), t=st.integers(-60, 60))
def test_comprehensions_agree_with_python(ws, vs, a, t) -> None:
    """List comprehensions mean what they mean in Python: nesting left to right, filters where they are written,
    unpacking of pairs."""
    from archcompiler.expressions import evaluate_string
    env = {"ws": ws, "vs": vs, "a": a, "t": t}
    assert evaluate_string("${[a * w + 1 for w in ws if w > t]}", env) == [a * w + 1 for w in ws if w > t]
    assert (evaluate_string("${[w - v for w in ws if w != t for v in vs if v < w]}", env)
            == [w - v for w in ws if w != t for v in vs if v < w])
    assert (evaluate_string("${[i * w for i, w in enumerate(ws) if i % 2 == 0]}", env)
            == [i * w for i, w in enumerate(ws) if i % 2 == 0])
    assert evaluate_string("${[[v * w for v in vs] for w in ws[::2]]}", env) == [[v * w for v in vs] for w in ws[::2]]


@FAST
@given(shapes=st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple), min_size=2, max_size=4),
       op=st.sampled_from(["Add", "Multiply", "Maximum", "Minimum", "Average"]))
def test_merges_broadcast_as_numpy_does(shapes, op) -> None:
    """With every dimension known, Keras's merge broadcasting (batch excluded) is numpy's: the same output shape,
    and an error exactly where numpy refuses."""
    import numpy as np
    shapes = [s if s else (1,) for s in shapes]  # a layer's output has at least one dimension besides the batch
    defn = REGISTRY[op]
    try:
        want = np.broadcast_shapes(*shapes)
    except ValueError:
        try:
            defn.infer(defn.params(), shapes)
        except ShapeError as e:
            assert e.code == "E401"
            return
        raise AssertionError(f"expected E401 for {shapes}")
    assert defn.infer(defn.params(), shapes) == tuple(want)
