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


axis = st.tuples(st.integers(1, 40), st.integers(1, 6), st.integers(1, 4), st.integers(1, 3))  # n, k, s, d

CONV_OPS = {1: ["Conv1D", "DepthwiseConv1D", "SeparableConv1D"], 2: ["Conv2D", "DepthwiseConv2D", "SeparableConv2D"],
            3: ["Conv3D"]}


def _per_axis(v: tuple[int, ...], rank: int) -> object:
    return v[0] if rank == 1 else list(v)


@FAST
@given(data=st.data(), rank=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]), c=st.integers(1, 4),
       f=st.integers(1, 4), m=st.integers(1, 2))
def test_every_convolution_rank_counts_windows(data, rank, padding, c, f, m) -> None:
    """Conv, depthwise and separable convolutions over 1, 2 or 3 axes: each output axis has as many positions as a
    walk over the padded input finds, and the weights are the product of the kernel sizes times the channels."""
    axes = data.draw(st.lists(axis, min_size=rank, max_size=rank))
    if any(s > 1 for _, _, s, _ in axes) and any(d > 1 for _, _, _, d in axes):
        return  # Keras refuses strides > 1 with dilation > 1
    op = data.draw(st.sampled_from(CONV_OPS[rank]))
    n, k, s, d = (tuple(a[i] for a in axes) for i in range(4))
    args = {"kernel_size": _per_axis(k, rank), "strides": _per_axis(s, rank), "dilation_rate": _per_axis(d, rank),
            "padding": padding}
    if op.startswith("Conv"):
        args["filters"] = f
    elif op.startswith("Depthwise"):
        args["depth_multiplier"] = m
    else:
        args.update(filters=f, depth_multiplier=m)
    defn = REGISTRY[op]
    p = defn.params(**args)
    x = (*n, c)
    want = tuple(positions(*a, padding) for a in axes)
    if min(want) < 1:
        try:
            defn.infer(p, [x])
        except ShapeError as e:
            assert e.code == "E402"
            return
        raise AssertionError("expected E402")
    out = defn.infer(p, [x])
    taps, kind = math.prod(k), op.split("Conv")[0] or "Conv"
    channels = {"Conv": f, "Depthwise": c * m, "Separable": f}[kind]
    assert out == (*want, channels)
    weights = {"Conv": taps * c * f + f, "Depthwise": taps * c * m + c * m,
               "Separable": taps * c * m + c * m * f + f}[kind]
    assert defn.count_params(p, [x], out) == (weights, 0)


@FAST
@given(data=st.data(), rank=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]), c=st.integers(1, 3),
       f=st.integers(1, 3))
def test_transposed_convolutions_invert_the_forward_shape(data, rank, padding, c, f) -> None:
    """A transposed convolution's output is an input size the forward convolution (same kernel, strides, dilation,
    padding) maps back to the transposed convolution's input: a walk over it finds ``n`` windows per axis. The one
    exception is Keras's own: ``same`` with an even (dilated) window and ``output_padding: 0``, one window short."""
    axes = data.draw(st.lists(axis, min_size=rank, max_size=rank))
    if any(s > 1 for _, _, s, _ in axes) and any(d > 1 for _, _, _, d in axes):
        return
    n, k, s, d = (tuple(a[i] for a in axes) for i in range(4))
    pad = data.draw(st.none() | st.tuples(*(st.integers(0, x - 1) for x in s)))
    op = f"Conv{rank}DTranspose"
    defn = REGISTRY[op]
    p = defn.params(filters=f, kernel_size=_per_axis(k, rank), strides=_per_axis(s, rank),
                    dilation_rate=_per_axis(d, rank), padding=padding,
                    output_padding=None if pad is None else _per_axis(pad, rank))
    x = (*n, c)
    short = [pad is not None and padding == "same" and ((ki - 1) * di + 1) % 2 == 0 and pi == 0
             for ki, di, pi in zip(k, d, pad or (0,) * rank)]
    if any(short[i] and n[i] == 1 for i in range(rank)):
        try:
            defn.infer(p, [x])
        except ShapeError as e:
            assert e.code == "E402"
            return
        raise AssertionError("expected E402")
    out = defn.infer(p, [x])
    assert out[-1] == f
    for i in range(rank):
        assert positions(out[i], k[i], s[i], d[i], padding) == n[i] - short[i], (i, out)
    assert defn.count_params(p, [x], out) == (math.prod(k) * c * f + f, 0)


@FAST
@given(data=st.data(), rank=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]),
       kind=st.sampled_from(["Max", "Average"]))
def test_every_pooling_rank_counts_windows(data, rank, padding, kind) -> None:
    axes = data.draw(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 5), st.integers(1, 5)), min_size=rank,
                              max_size=rank))
    n, k, s = (tuple(a[i] for a in axes) for i in range(3))
    defn = REGISTRY[f"{kind}Pooling{rank}D"]
    p = defn.params(pool_size=_per_axis(k, rank), strides=_per_axis(s, rank), padding=padding)
    want = tuple(positions(ni, ki, si, 1, padding) for ni, ki, si in axes)
    if min(want) < 1:
        try:
            defn.infer(p, [(*n, 3)])
        except ShapeError as e:
            assert e.code == "E402"
            return
        raise AssertionError("expected E402")
    out = defn.infer(p, [(*n, 3)])
    assert out == (*want, 3)
    assert defn.count_flops(p, [(*n, 3)], out) == math.prod(k) * math.prod(want) * 3


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
    for name in ("resnet50_signs.yaml", "squeezenet.yaml", "preact_resnet_cifar.yaml", "resnet18.yaml", "unet.yaml"):
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
