"""archc render: formats (real rendering with Graphviz when ``dot`` is installed), levels, depth, fold, rankdir,
output paths, parameter labels that add up to the model's total, and what happens without Graphviz."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest

import archcompiler
from archcompiler.backends.dot import plan, render_file, rendering, shortcuts, to_dot
from archcompiler.cli import main
from helpers import ROOT, svg_nodes
from specs_table import REFERENCE

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not installed (make test installs it); "
                                                   "real rendering cannot be checked")
SPECS = [s for s in sorted(REFERENCE) if s.endswith(".yaml")]
SIGNS = str(ROOT / "specs" / "resnet50_signs.yaml")
SVG = "{http://www.w3.org/2000/svg}"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@lru_cache(maxsize=None)
def compiled(spec: str) -> archcompiler.Compilation:
    return archcompiler.load(ROOT / spec)


def node_labels(dot_text: str) -> dict[str, str]:
    """Node id -> its label, from the DOT archc writes (one node statement a line)."""
    out = {}
    for line in dot_text.splitlines():
        m = re.match(r'\s*"((?:[^"\\]|\\.)+)" \[label=(<.*>|"(?:[^"\\]|\\.)*"), ', line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def first_params(text: str) -> int:
    """The first ``N params`` figure in a label (a folded box also shows ``(k × n)``, not followed by params)."""
    m = re.search(r"([\d,]+) params", text)
    return int(m.group(1).replace(",", "")) if m else 0


# ---------------------------------------------------------------------------------------------------------------
# DOT output (no Graphviz needed)
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("options", [{}, {"fold": True}, {"depth": "all"}, {"level": "layer"}],
                         ids=["block", "block-fold", "block-all", "layer"])
def test_parameter_labels_add_up_to_the_total(spec: str, options: dict) -> None:
    comp = compiled(spec)
    labels = node_labels(to_dot(comp, **options))
    view = plan(comp, **options)
    assert set(labels) == {u.id for u in view.units}
    assert sum(first_params(t) for t in labels.values()) == comp.stats.total.total
    assert f"{comp.stats.total.total:,} parameters ({comp.stats.total.trainable:,} trainable" in to_dot(comp, **options)


def test_dot_format_writes_the_dot_text(capsys, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "signs.dot"
    code, stdout, err = run(capsys, "render", SIGNS, "-f", "dot", "-o", str(out))
    assert code == 0, err
    assert stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert text == to_dot(compiled("specs/resnet50_signs.yaml"))
    assert text.startswith('digraph "resnet50_signs" {')
    assert "23,600,006 parameters (23,546,886 trainable, 53,120 non-trainable)" in text
    assert "619.54M FLOPs" in text


def test_default_output_path_is_build_stem_format(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "render", SIGNS, "-f", "dot")
    assert code == 0, err
    assert stdout.strip() == str(Path("build") / "resnet50_signs.dot")
    assert (tmp_path / "build" / "resnet50_signs.dot").read_text(encoding="utf-8").startswith("digraph")


@pytest.mark.parametrize("fmt", ["dot", pytest.param("svg", marks=needs_dot)])
def test_layer_level_default_output_does_not_overwrite_the_block_level_one(capsys, tmp_path: Path, monkeypatch,
                                                                           fmt: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "render", SIGNS, "-f", fmt)
    assert code == 0, err
    block = tmp_path / "build" / f"resnet50_signs.{fmt}"
    assert stdout.strip() == str(Path("build") / f"resnet50_signs.{fmt}")
    before = block.read_bytes()
    code, stdout, err = run(capsys, "render", SIGNS, "-f", fmt, "--level", "layer")
    assert code == 0, err
    assert stdout.strip() == str(Path("build") / f"resnet50_signs.layer.{fmt}")
    layer = tmp_path / "build" / f"resnet50_signs.layer.{fmt}"
    assert block.read_bytes() == before  # the block-level diagram is still there, unchanged
    assert {p.name for p in (tmp_path / "build").iterdir()} == {block.name, layer.name}
    if fmt == "dot":
        assert "res2a_branch2a" in node_labels(layer.read_text(encoding="utf-8"))  # a layer-level diagram
        assert "res2a_branch2a" not in node_labels(before.decode("utf-8"))
    else:
        assert "res2a_branch2a" in svg_nodes(layer) and "res2a_branch2a" not in svg_nodes(block)
    # an explicit -o is used as given at either level
    code, stdout, err = run(capsys, "render", SIGNS, "-f", fmt, "--level", "layer", "-o", str(tmp_path / f"x.{fmt}"))
    assert code == 0 and stdout.strip() == str(tmp_path / f"x.{fmt}"), err


def _render_dot(capsys, tmp_path: Path, spec: str, *options: str) -> str:
    out = tmp_path / "out.dot"
    code, _, err = run(capsys, "render", str(ROOT / spec), "-f", "dot", "-o", str(out), *options)
    assert code == 0, err
    return out.read_text(encoding="utf-8")


def test_block_level_is_the_default(capsys, tmp_path: Path) -> None:
    text = _render_dot(capsys, tmp_path, "specs/resnet50_signs.yaml")
    labels = node_labels(text)
    blocks = [k for k in labels if k.startswith("block:")]
    assert len(blocks) == 16 and "block:res2a" in labels and "block:res4f" in labels
    assert "res2a_branch2a" not in labels  # layers inside blocks are not drawn
    assert {"input_1", "conv1", "flatten", "fc6", "output:fc6"} <= set(labels)
    assert "subgraph \"cluster_res" not in text
    assert '"block:res2c" -> "block:res3a"' in text
    assert "convolutional_block" in labels["block:res2a"] and "shortcut: Conv2D, BN" in labels["block:res2a"]
    assert "shortcut: identity" in labels["block:res2b"]


def test_layer_level_draws_every_layer_with_blocks_as_clusters(capsys, tmp_path: Path) -> None:
    text = _render_dot(capsys, tmp_path, "specs/resnet50_signs.yaml", "--level", "layer")
    labels = node_labels(text)
    comp = compiled("specs/resnet50_signs.yaml")
    layers = {k for k in labels if not k.startswith(("to:", "from:"))}  # continuation stubs aside
    assert layers == {n.name for n in comp.graph.nodes} | {"output:fc6"}
    for b in comp.graph.blocks:
        assert f'subgraph "cluster_{b.scope[-1]}"' in text
    assert "Conv2D  1×1, 64" in labels["res2a_branch2a"]
    # the identity shortcut of res2b: from the block's input (res2a's last layer) to the Add, drawn as a shortcut
    assert re.search(r'"activation_3" -> "add_1" \[color="#3d6fb6"', text)
    # the legend names the families present
    for family in ("convolution", "normalization", "activation", "pooling", "merge", "dense", "reshape", "input"):
        assert f">{family}</FONT>" in text


def test_depth_opens_nested_blocks(capsys, tmp_path: Path) -> None:
    one = node_labels(_render_dot(capsys, tmp_path, "specs/resnet18.yaml"))
    assert "block:stage1" in one and "block:stage1/residual_1" not in one
    text = _render_dot(capsys, tmp_path, "specs/resnet18.yaml", "--depth", "2")
    two = node_labels(text)
    assert 'subgraph "cluster_stage1"' in text
    assert "block:stage1/residual_1" in two and "block:stage1" not in two
    assert node_labels(_render_dot(capsys, tmp_path, "specs/resnet18.yaml", "--depth", "all")) == two
    # layer level: depth 1 draws the stages as clusters and collapses the residual blocks inside them
    text = _render_dot(capsys, tmp_path, "specs/resnet18.yaml", "--level", "layer", "--depth", "1")
    assert 'subgraph "cluster_stage1"' in text and 'subgraph "cluster_stage1/residual_1"' not in text
    assert "block:stage1/residual_1" in node_labels(text)
    everything = node_labels(_render_dot(capsys, tmp_path, "specs/resnet18.yaml", "--level", "layer"))
    assert not any(k.startswith("block:") for k in everything)


def test_fold_draws_chained_instances_as_one_box(capsys, tmp_path: Path) -> None:
    text = _render_dot(capsys, tmp_path, "specs/keras_applications/resnet152.yaml", "--fold")
    labels = node_labels(text)
    folded = labels["fold:conv4_block2..conv4_block36"]
    assert "bottleneck ×35" in folded and "conv4_block2 … conv4_block36" in folded
    assert "39,262,720 params (35 × 1,121,792)" in folded
    # a stack's first block projects its shortcut: different weights, so it stays on its own
    assert "block:conv4_block1" in labels
    assert '"block:conv4_block1" -> "fold:conv4_block2..conv4_block36"' in text
    assert len([k for k in labels if k.startswith(("block:", "fold:"))]) == 8


def test_rankdir_and_set(capsys, tmp_path: Path) -> None:
    text = _render_dot(capsys, tmp_path, "specs/squeezenet.yaml", "--rankdir", "LR", "--set", "classes=10")
    assert 'rankdir="LR"' in text
    assert "(10)" in node_labels(text)["output:loss"]
    assert 'rankdir="TB"' in _render_dot(capsys, tmp_path, "specs/squeezenet.yaml")


def test_long_chains_wrap_into_columns(capsys, tmp_path: Path) -> None:
    """ResNet-152 at block level: several columns joined by one dashed edge each, so it fits a screen."""
    text = _render_dot(capsys, tmp_path, "specs/keras_applications/resnet152.yaml")
    columns = re.findall(r'subgraph "cluster:column:(\d+)"', text)
    assert 3 <= len(columns) <= 6
    continuing = re.findall(r'-> "[^"]+" \[constraint="false", style="dashed"', text)
    assert len(continuing) == len(columns) - 1
    assert 'subgraph "cluster:column' not in _render_dot(capsys, tmp_path, "specs/vgg16.yaml")


def columns_of(text: str) -> dict[str, int]:
    """Node id -> the number of the column cluster its statement is written in (wrapped diagrams)."""
    column, out = 0, {}
    for line in text.splitlines():
        m = re.match(r'  subgraph "cluster:column:(\d+)"', line)
        if m:
            column = int(m.group(1))
            continue
        m = re.match(r'\s+"((?:[^"\\]|\\.)+)" \[label=', line)
        if m and column:
            out[m.group(1)] = column
    return out


def visible_edges(text: str) -> list[tuple[str, str, str]]:
    """(tail, head, attributes) of every drawn edge statement."""
    found = re.findall(r'^  "((?:[^"\\]|\\.)+)" -> "((?:[^"\\]|\\.)+)"(.*);$', text, re.M)
    return [e for e in found if "invis" not in e[2]]


@pytest.mark.parametrize("spec", ["specs/resnet50_signs.yaml", "specs/resnet18.yaml", "specs/squeezenet.yaml",
                                  "specs/keras_applications/resnet152.yaml"])
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_layer_level_columns_are_joined_by_labelled_stubs(spec: str, rankdir: str) -> None:
    """At layer level no drawn edge runs from one column to the next: each edge that would is broken into a
    "→ next" stub at the end of its column and a "from ..." stub at the start of the next, which the edges leave,
    one pair per layer the edges leave; a shortcut among them stays blue."""
    comp = compiled(spec)
    text = to_dot(comp, level="layer", rankdir=rankdir)
    col = columns_of(text)
    assert max(col.values()) >= 2, "the diagram should wrap"
    edges = visible_edges(text)
    assert all(col[a] == col[b] for a, b, _ in edges), "a drawn edge crosses columns"
    # The oracle: every graph edge whose ends sit in different columns, and the graph's shortcuts.
    crossing = {(i, n.name) for n in comp.graph.nodes for i in n.inputs if col[i] != col[n.name]}
    assert crossing, "the columns should be joined"
    shortcut_edges = {(s.tail, s.merge) for s in shortcuts(comp).values()}
    labels = node_labels(text)
    where = "column" if rankdir == "TB" else "row"
    drawn = {(a, b): attrs for a, b, attrs in edges}
    for tail, head in crossing:
        n = col[head]
        out_stub, in_stub = f"to:{n}:{tail}", f"from:{n}:{tail}"
        assert col[out_stub] == col[tail] == n - 1 and col[in_stub] == n
        assert (tail, out_stub) in drawn and 'style="dashed"' in drawn[tail, out_stub]
        assert (in_stub, head) in drawn
        assert ('color="#3d6fb6"' in drawn[in_stub, head]) == ((tail, head) in shortcut_edges)
        assert f"continues in {where} {n}" in labels[out_stub]
        assert f"{tail} · " in labels[in_stub] or f"from {tail}" in labels[in_stub]
        assert f"({where} {n - 1})" in labels[in_stub]
    stubs = {k for k in labels if k.startswith(("to:", "from:"))}
    assert stubs == {f"{side}:{col[h]}:{t}" for t, h in crossing for side in ("to", "from")}
    assert f"{where}s (each “→ name” box continues at the “from …” box of the next one)" in text
    # the view knows the stubs too (the SVG test compares its boxes with the rendered ones)
    assert stubs <= {u.id for u in plan(comp, level="layer", rankdir=rankdir).units}


def test_stub_labels_name_the_blocks_on_both_sides() -> None:
    """ResNet-50 (hand signs), layer level: column 1 ends after res2b; its shortcut into res2c's Add continues from
    the "from res2b" stub at the top of column 2."""
    text = to_dot(compiled("specs/resnet50_signs.yaml"), level="layer")
    labels = node_labels(text)
    assert "<B>→ res2c</B>" in labels["to:2:activation_6"]
    assert "<B>from res2b</B>" in labels["from:2:activation_6"]
    assert "activation_6 · 15×15×256 (column 1)" in labels["from:2:activation_6"]
    assert re.search(r'^  "from:2:activation_6" -> "add_2" \[color="#3d6fb6"', text, re.M)
    assert re.search(r'^  "from:2:activation_6" -> "res2c_branch2a";$', text, re.M)
    # block level keeps one dashed edge per cut (a single edge crosses there)
    block = to_dot(compiled("specs/resnet50_signs.yaml"))
    assert not any(k.startswith(("to:", "from:")) for k in node_labels(block))


# ---------------------------------------------------------------------------------------------------------------
# shortcuts: identity or projection skips into an Add, never parallel branches
# ---------------------------------------------------------------------------------------------------------------

#: Inception modules (four parallel branches concatenated: the 1x1 branch is one layer, the others two), a sum of
#: two parallel convolution branches, and two real residual blocks (identity and projection) for contrast.
INCEPTION_LIKE = """\
archspec: 1
name: inception_like
blocks:
  inception:
    params:
      c: {type: int}
    layers:
      - Conv2D: {filters: $c, kernel_size: 1, activation: relu, id: b1}
      - Conv2D: {filters: $c, kernel_size: 1, activation: relu, inputs: x}
      - Conv2D: {filters: $c, kernel_size: 3, padding: same, activation: relu, id: b2}
      - Conv2D: {filters: $c, kernel_size: 1, activation: relu, inputs: x}
      - Conv2D: {filters: $c, kernel_size: 5, padding: same, activation: relu, id: b3}
      - MaxPooling2D: {pool_size: 3, strides: 1, padding: same, inputs: x}
      - Conv2D: {filters: $c, kernel_size: 1, activation: relu, id: b4}
      - Concatenate: {inputs: [b1, b2, b3, b4]}
  parallel_sum:
    layers:
      - Conv2D: {filters: 32, kernel_size: 3, padding: same, id: a}
      - Conv2D: {filters: 32, kernel_size: 1, inputs: x}
      - Conv2D: {filters: 32, kernel_size: 3, padding: same}
      - Add: {inputs: [a, _]}
  residual:
    params:
      c: {type: int}
      project: {type: bool, default: false}
    layers:
      - Conv2D: {filters: $c, kernel_size: 3, padding: same}
      - BatchNormalization
      - Activation: relu
      - Conv2D: {filters: $c, kernel_size: 3, padding: same}
      - BatchNormalization: {id: main}
      - if: $project
        layers:
          - Conv2D: {filters: $c, kernel_size: 1, inputs: x}
          - BatchNormalization: {id: x}
      - Add: {inputs: [main, x]}
model:
  inputs:
    image: {shape: [32, 32, 3]}
  layers:
    - Conv2D: {filters: 32, kernel_size: 3, padding: same}
    - inception: {c: 16, name: mixed1}
    - inception: {c: 8, name: mixed2}
    - parallel_sum: {name: sum1}
    - residual: {c: 32, name: res1}
    - residual: {c: 64, project: true, name: res2}
    - GlobalAveragePooling2D
    - Dense: {units: 10, activation: softmax}
"""


def test_parallel_branches_are_not_shortcuts(tmp_path: Path) -> None:
    path = tmp_path / "inception_like.yaml"
    path.write_text(INCEPTION_LIKE, encoding="utf-8")
    comp = archcompiler.load(path)
    found = shortcuts(comp)
    adds = [n for n in comp.graph.nodes if n.op == "Add"]
    assert [n.scope for n in adds] == [("sum1",), ("res1",), ("res2",)]
    assert sorted(s.merge for s in found.values()) == [adds[1].name, adds[2].name]  # the sum has none
    identity, projection = found[adds[1].name], found[adds[2].name]
    assert identity.path == () and identity.tail == identity.source == adds[0].name  # res1 reads sum1's output
    assert projection.source == adds[1].name
    assert [comp.graph.node(p).op for p in projection.path] == ["Conv2D", "BatchNormalization"]
    # block level: the merge notes
    labels = node_labels(to_dot(comp))
    for b in ("mixed1", "mixed2"):
        assert "Concatenate of 4 branches" in labels[f"block:{b}"] and "shortcut" not in labels[f"block:{b}"]
    assert "Add of 2 branches" in labels["block:sum1"] and "shortcut" not in labels["block:sum1"]
    assert "shortcut: identity" in labels["block:res1"]
    assert "shortcut: Conv2D, BN" in labels["block:res2"]
    # layer level: blue edges are exactly the two shortcuts' last edges, so no branch of a module is one
    text = to_dot(comp, level="layer")
    blue = {(a, b) for a, b, attrs in visible_edges(text) if 'color="#3d6fb6"' in attrs}
    assert blue == {(identity.tail, identity.merge), (projection.tail, projection.merge)}
    assert "⟶ shortcut" in text
    # without the residual blocks nothing is a shortcut and the legend has no shortcut entry
    plain = INCEPTION_LIKE.replace("    - residual: {c: 32, name: res1}\n", "").replace(
        "    - residual: {c: 64, project: true, name: res2}\n", "")
    path.write_text(plain, encoding="utf-8")
    text = to_dot(archcompiler.load(path), level="layer")
    assert "#3d6fb6" not in text and "shortcut" not in text


def test_squeezenet_fire_modules_have_no_shortcut() -> None:
    """A fire module's expand1x1 and expand3x3 paths are parallel branches into a Concatenate."""
    comp = compiled("specs/squeezenet.yaml")
    assert shortcuts(comp) == {}
    labels = node_labels(to_dot(comp))
    fires = [k for k in labels if k.startswith("block:fire")]
    assert len(fires) == 8
    assert all("Concatenate of 2 branches" in labels[k] and "shortcut" not in labels[k] for k in fires)
    for options in ({}, {"level": "layer"}, {"depth": 2, "rankdir": "LR"}):
        text = to_dot(comp, **options)
        assert "#3d6fb6" not in text and "shortcut" not in text


@pytest.mark.parametrize("argv", [["--depth", "0"], ["--level", "blocks"], ["-f", "jpg"], ["--rankdir", "BT"]])
def test_invalid_options_exit_2(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["render", SIGNS, *argv])
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err


def test_spec_errors_exit_1_and_write_nothing(capsys, tmp_path: Path) -> None:
    out = tmp_path / "x.svg"
    code, _, err = run(capsys, "render", str(ROOT / "tests/golden/errors/E201_invalid_values.yaml"), "-o", str(out))
    assert code == 1 and "error[E201]" in err
    assert not out.exists()


# ---------------------------------------------------------------------------------------------------------------
# without Graphviz
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_missing_dot_is_a_usage_error_with_install_hints(capsys, tmp_path: Path, monkeypatch, fmt: str) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / f"x.{fmt}"
    code, stdout, err = run(capsys, "render", SIGNS, "-f", fmt, "-o", str(out))
    assert code == 2
    assert stdout == ""
    assert f"archc: error: Graphviz's `dot` program is needed to render {fmt}" in err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert "https://graphviz.org/download/" in err and "`-f dot`" in err
    assert not out.exists() and list(tmp_path.glob(".x.*")) == []
    # the DOT text needs nothing but archc
    code, _, err = run(capsys, "render", SIGNS, "-f", "dot", "-o", str(tmp_path / "x.dot"))
    assert code == 0, err
    assert (tmp_path / "x.dot").read_text(encoding="utf-8").startswith("digraph")


def test_missing_dot_found_by_which(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(rendering.shutil, "which", lambda name, *a, **k: None)
    code, _, err = run(capsys, "render", SIGNS, "-f", "png", "-o", str(tmp_path / "x.png"))
    assert code == 2 and "Graphviz's `dot` program is needed to render png" in err


def test_missing_graphviz_package(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    code, _, err = run(capsys, "render", SIGNS, "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "the `graphviz` Python package is needed to render svg" in err
    assert not (tmp_path / "x.svg").exists()


def test_render_never_imports_tensorflow(tmp_path: Path) -> None:
    out = str(tmp_path / "x.dot")
    program = ("import sys\nfrom archcompiler.cli import main\n"
               f"code = main(['render', {SIGNS!r}, '--level', 'layer', '-f', 'dot', '-o', {out!r}])\n"
               "assert code == 0\nassert not any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules)\n")
    subprocess.run([sys.executable, "-c", program], check=True, capture_output=True)


# ---------------------------------------------------------------------------------------------------------------
# real rendering
# ---------------------------------------------------------------------------------------------------------------

def svg_clusters(path: Path) -> list[str]:
    out = []
    for g in ET.parse(path).getroot().iter(f"{SVG}g"):
        if g.get("class") == "cluster":
            title = g.find(f"{SVG}title")
            assert title is not None and title.text
            out.append(title.text)
    return out


@needs_dot
@pytest.mark.parametrize("spec,options", [
    ("specs/resnet50_signs.yaml", {}),
    ("specs/resnet50_signs.yaml", {"level": "layer"}),
    ("specs/squeezenet.yaml", {"depth": 2, "rankdir": "LR"}),
    ("specs/resnet34.yaml", {"depth": 2, "fold": True}),
    ("specs/keras_applications/resnet152.yaml", {}),
], ids=["signs-block", "signs-layer", "squeezenet-LR", "resnet34-depth2-fold", "resnet152-block"])
def test_svg_boxes_and_labels_match_the_graph(tmp_path: Path, spec: str, options: dict) -> None:
    comp = compiled(spec)
    path = render_file(comp, tmp_path / "d.svg", fmt="svg", **options)
    assert path == tmp_path / "d.svg"
    nodes = svg_nodes(path)
    view = plan(comp, **options)
    assert sorted(nodes) == sorted(u.id for u in view.units)
    total = 0
    for u in view.boxes:
        text = " ".join(nodes[u.id])
        if u.kind == "layer":
            assert u.layer is not None and u.layer.name in text and u.layer.op in text
        elif u.kind == "block":
            assert u.blocks[0].scope[-1] in text and u.blocks[0].block in text
        else:
            assert f"{u.blocks[0].block} ×{len(u.blocks)}" in text
        if u.counts.total:
            assert f"{u.counts.total:,} params" in text
        total += first_params(text)
    assert total == comp.stats.total.total
    clusters = [c for c in svg_clusters(path) if not c.startswith("cluster:column:")]
    assert sorted(clusters) == sorted(c.id for c in view.clusters.values())
    title = " ".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))
    assert comp.graph.name in title and f"{comp.stats.total.total:,} parameters" in title


@needs_dot
def test_render_png_and_pdf(capsys, tmp_path: Path) -> None:
    png = tmp_path / "d.png"
    code, _, err = run(capsys, "render", SIGNS, "--level", "layer", "-f", "png", "-o", str(png))
    assert code == 0, err
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 1000 and height > 1000
    pdf = tmp_path / "d.pdf"
    code, _, err = run(capsys, "render", str(ROOT / "specs/squeezenet.yaml"), "--depth", "2", "-f", "pdf",
                       "-o", str(pdf))
    assert code == 0, err
    assert pdf.read_bytes()[:5] == b"%PDF-"


@needs_dot
def test_default_svg_render_through_the_cli(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "render", SIGNS)
    assert code == 0, err
    path = tmp_path / "build" / "resnet50_signs.svg"
    assert stdout.strip() == str(Path("build") / "resnet50_signs.svg")
    assert "block:res3a" in svg_nodes(path)


def test_compilation_to_dot_passes_options() -> None:
    comp = compiled("specs/resnet18.yaml")
    assert comp.to_dot(level="layer", depth=1) == to_dot(comp, level="layer", depth=1)
    with pytest.raises(ValueError):
        comp.to_dot(level="blocks")
    with pytest.raises(ValueError):
        comp.to_dot(depth=0)


def test_output_dash_writes_to_standard_output(in_root) -> None:
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "archcompiler.cli", "render", "specs/happy_model.yaml", "-f", "dot",
                        "-o", "-"], cwd=ROOT, capture_output=True)
    assert r.returncode == 0
    assert r.stdout.startswith(b'digraph "happy_model" {')
    assert not (ROOT / "-").exists()
