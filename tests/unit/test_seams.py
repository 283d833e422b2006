"""The seams between stages and backends: backends as one table, output formats as tables, what a Compilation
exposes (so that backends never read the resolved spec's insides), resolve vs compile, and how a layer is called."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import archcompiler
from archcompiler import cli
from archcompiler.backends import BACKENDS, Backend, backend
from archcompiler.backends import summary as summary_backend
from archcompiler.layers import REGISTRY
from archcompiler.layers.base import CALL_STYLES, LayerDef, build_registry, same_shape
from archcompiler.load import ResolvedSpec, resolve_file, resolve_text
from archcompiler.pipeline import Compilation

from helpers import ROOT

PACKAGE = ROOT / "archcompiler"

SPEC = textwrap.dedent("""\
    archspec: 1
    description: two dense layers
    model:
      inputs:
        x: {shape: [4]}
      layers:
        - Dense: 3
        - Dense: {units: 2, activation: softmax}
    training:
      loss: categorical_crossentropy
""")


@pytest.fixture(scope="module")
def comp() -> Compilation:
    return archcompiler.compile_text(SPEC, "net.yaml")


def test_every_backend_of_the_table_resolves_to_its_function() -> None:
    assert list(BACKENDS) == ["summary", "dot", "keras"]
    for name, b in BACKENDS.items():
        assert b.name == name and b.doc
        if name != "keras":  # importing the Keras backend's module imports nothing heavy, but calling it does
            assert callable(b.function())
    assert BACKENDS["summary"].format_names() == tuple(summary_backend.FORMATS) == ("text", "json", "markdown")
    assert {"svg", "dot"} <= set(BACKENDS["dot"].format_names())
    assert BACKENDS["keras"].format_names() == ()


def test_compilation_methods_go_through_the_table(comp: Compilation, monkeypatch: pytest.MonkeyPatch) -> None:
    assert comp.summary("json") == comp.emit("summary", fmt="json", depth=None)
    assert comp.to_dot() == comp.emit("dot")
    # a new backend is its module and one line of the table
    monkeypatch.setitem(BACKENDS, "layer_names", Backend("layer_names", "summary", "summary_data", "test"))
    assert comp.emit("layer_names")["num_layers"] == 3
    with pytest.raises(ValueError, match="unknown backend 'nope'; backends: summary, dot, keras"):
        backend("nope")


def test_summary_formats_come_from_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    monkeypatch.setitem(summary_backend.FORMATS, "names", lambda c, depth: " ".join(n.name for n in c.graph.nodes))
    assert cli.main(["summary", str(spec), "--format", "names"]) == 0
    assert capsys.readouterr().out == "x dense dense_1"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["summary", str(spec), "--format", "yaml"])
    assert exit_.value.code == 2
    assert "invalid choice: 'yaml' (choose from 'text', 'json', 'markdown', 'names')" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown summary format 'yaml'"):
        archcompiler.compile_text(SPEC, "net.yaml").summary("yaml")


def test_layers_formats_come_from_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(cli.LAYER_FORMATS) == ["text", "json", "markdown"]
    for fmt in cli.LAYER_FORMATS:
        assert cli.main(["layers", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "Conv2D" in out and out.endswith("\n")


def test_what_a_compilation_exposes(comp: Compilation) -> None:
    assert (comp.name, comp.path, comp.description) == ("net", "net.yaml", "two dense layers")
    assert set(comp.sources) == {"net.yaml"}
    assert comp.training is not None and comp.training.loss == "categorical_crossentropy"
    loss = comp.span_of(("training", "loss"))
    assert (loss.file, loss.line, loss.col) == ("net.yaml", 10, 9)
    assert comp.span_of(("training", "optimizer")) == comp.span_of(("training",))  # not written: the section
    bare = archcompiler.compile_text(SPEC.split("training:")[0], "bare.yaml")
    assert bare.training is None and bare.description == "two dense layers"


def _spec_internals(path: Path) -> list[str]:
    """Where a module reads the resolved spec (``comp.spec``, a ``.root`` document, ResolvedSpec) itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "spec" and isinstance(node.value, ast.Name) \
                and node.value.id == "comp":
            found.append(f"{path.name}:{node.lineno}: comp.spec")
        elif isinstance(node, ast.Attribute) and node.attr == "root":
            found.append(f"{path.name}:{node.lineno}: .root")
        elif isinstance(node, ast.Name) and node.id == "ResolvedSpec":
            found.append(f"{path.name}:{node.lineno}: ResolvedSpec")
    return found


def test_backends_and_the_command_line_read_only_what_a_compilation_exposes() -> None:
    files = [*sorted((PACKAGE / "backends").rglob("*.py")), PACKAGE / "cli.py"]
    assert [f for path in files for f in _spec_internals(path)] == []


def test_resolve_and_compile_are_named_for_what_they_return(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    assert isinstance(resolve_file(spec), ResolvedSpec)
    assert isinstance(resolve_text(SPEC, "net.yaml"), ResolvedSpec)
    assert isinstance(archcompiler.load(spec), Compilation)  # the public API compiles


def test_a_resolved_spec_says_what_kind_of_file_it_is() -> None:
    library = resolve_text("archspec: 1\nblocks:\n  b:\n    layers: [ReLU]\n", "lib.yaml")
    assert library.is_library and library.has_key("archspec") and not library.has_key("model")
    assert not resolve_text(SPEC, "net.yaml").is_library
    plain = resolve_text("model:\n  inputs: {x: {shape: [2]}}\n  layers: [ReLU]\n", "plain.yaml")
    assert not plain.has_key("archspec")
    d = plain.not_a_spec()
    assert (d.code, d.span.file, d.span.line) == ("E106", "plain.yaml", 1)


def test_merges_are_called_on_a_list_and_every_other_layer_on_its_tensor() -> None:
    for op, d in REGISTRY.items():
        assert d.call_style in CALL_STYLES
        if d.arithmetic:  # tensor arithmetic: an operation on the input (x + value) or the two (x + y), not a layer
            assert d.call_style == "operation" and d.arity in ((1, 1), (2, 2)) and not d.is_layer, op
            continue
        if d.input_names:  # named inputs: by name, or a list in the declared order (Attention)
            assert d.call_style in ("named", "list", "sequence"), op
        else:
            assert d.call_style == ("list" if d.family == "merge" else "tensor"), op
        assert d.call_style in ("list", "named", "sequence") or d.arity[1] in (0, 1), op  # several: not a tensor


def test_a_call_style_must_be_known() -> None:
    odd = LayerDef(op="Odd", params=REGISTRY["ReLU"].params, infer=same_shape, call_style="keywords")
    with pytest.raises(RuntimeError, match=f"call_style 'keywords' is not one of {', '.join(CALL_STYLES)}"):
        build_registry((odd,))


NO_TRAINING = SPEC.split("training:")[0]


@pytest.mark.parametrize("section, expected", [
    ("training: 3", ("E201", "training: input should be a valid dictionary or instance of Training. Received: "
                             "training=3", 9, 11, None)),
    ("training: {}", ("E202", "missing required key 'loss'", 9, 11, None)),
    ("training:\n  loss: msee", ("E201", "training.loss: expected one of 25 names (binary_crossentropy, "
                                         "categorical_crossentropy, sparse_categorical_crossentropy, "
                                         "binary_focal_crossentropy, ...). Received: loss='msee'", 10, 9,
                                 "did you mean 'mse'?")),
    ("training:\n  loss: mse\n  optimizer: {adam: {learning_rate: -1}}",
     ("E201", "training.optimizer.adam.learning_rate: input should be greater than 0. Received: learning_rate=-1",
      11, 37, None)),
    ("training:\n  loss: mse\n  optimizer: {sgd: {nesterov: yes}}",
     ("E201", "training.optimizer.sgd.nesterov: input should be a valid boolean. Received: nesterov='yes'", 11, 31,
      None)),
])
def test_a_training_section_is_checked_on_its_own_with_the_same_messages(section: str, expected: tuple) -> None:
    with pytest.raises(archcompiler.CompileError) as info:
        archcompiler.compile_text(NO_TRAINING + section, "net.yaml")
    (d,) = info.value.diagnostics
    assert (d.code, d.message, d.span.line, d.span.col, d.hint) == expected


def test_unknown_keys_of_the_training_section_are_deferred_with_the_others() -> None:
    text = NO_TRAINING + "training:\n  loss: mse\n  extra: 1\nmodle: 2\n"
    with pytest.raises(archcompiler.CompileError) as info:
        archcompiler.compile_text(text, "net.yaml")
    assert [(d.code, d.message, d.hint) for d in info.value.diagnostics] == [
        ("E200", "unknown key 'extra'", "allowed keys: optimizer, loss, loss_weights, metrics"),
        ("E200", "unknown key 'modle'", "did you mean 'model'?")]
    spec = resolve_text(text, "net.yaml")  # resolving keeps going without the unknown keys
    assert spec.training.loss == "mse" and len(spec.deferred) == 2


def test_what_a_summary_imports(tmp_path: Path) -> None:
    """Start-up: a command imports what it uses (the training vocabulary only for a spec with a training section;
    no backend but the summary's, no JSON Schema validator)."""
    import subprocess
    import sys

    for text, with_training in ((NO_TRAINING, False), (SPEC, True)):
        spec = tmp_path / "net.yaml"
        spec.write_text(text, encoding="utf-8")
        code = ("import sys; from archcompiler import cli; cli.main(['summary', sys.argv[1]]); "
                "print(sorted(m for m in sys.modules if m.startswith(('archcompiler.', 'jsonschema', 'keras'))))")
        out = subprocess.run([sys.executable, "-c", code, str(spec)], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}).stdout
        loaded = eval(out.strip().splitlines()[-1])
        assert ("archcompiler.training" in loaded) == with_training
        assert "archcompiler.backends.summary" in loaded
        assert not [m for m in loaded if m.startswith(("archcompiler.backends.dot", "archcompiler.backends.keras",
                                                       "jsonschema", "keras"))]
