"""The schema as editors use it: yaml-language-server (the server behind VS Code's YAML extension and most LSP
editors' YAML support), driven over stdio, gives completion, hover and diagnostics from schema/archspec.schema.json.

The server is installed by `make yls` (part of `make setup`) at the version tools/yls/package-lock.json pins. These
tests are skipped only where node or npm is missing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from archcompiler.layers import REGISTRY
from helpers import ROOT
from lsp_client import LspClient

pytestmark = pytest.mark.xdist_group("yaml-language-server")

SERVER = ROOT / ".cache" / "yls" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
SCHEMA = ROOT / "schema" / "archspec.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA.as_uri()}\n"
LAYERS = sorted(op for op in REGISTRY if op != "Input")
RESERVED = ["id", "inputs", "name", "trainable"]


@pytest.fixture(scope="module")
def server():
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("node/npm not found: the yaml-language-server tests need them")
    if not SERVER.is_file():
        pytest.fail("yaml-language-server is not installed: run `make yls` (part of `make setup`)")
    # What docs/editors.md tells VS Code users to set: the bundled specs get the schema without a modeline. No
    # schema store: the tests must not depend on the network.
    settings = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False},
                         "schemas": {"./schema/archspec.schema.json": ["specs/**/*.yaml"]}}}
    with LspClient([node, str(SERVER), "--stdio"], cwd=ROOT, timeout=30, settings=settings) as client:
        client.request("initialize", {
            "processId": None, "rootUri": ROOT.as_uri(),
            "workspaceFolders": [{"uri": ROOT.as_uri(), "name": ROOT.name}],
            "capabilities": {"workspace": {"configuration": True},
                             "textDocument": {"completion": {"completionItem": {"snippetSupport": True}},
                                              "hover": {"contentFormat": ["markdown", "plaintext"]}}},
        })
        client.notify("initialized", {})
        client.notify("workspace/didChangeConfiguration", {"settings": settings})  # the server asks for them
        yield client


class Doc:
    """A document opened in the server; ``«name»`` markers in the text are cursor positions (removed)."""

    count = 0

    def __init__(self, client: LspClient, text: str, path: Path):
        self.client = client
        self.positions: dict[str, dict[str, int]] = {}
        lines = text.split("\n")
        for i, line in enumerate(lines):
            while (m := re.search("«(\\w+)»", line)) is not None:
                self.positions[m.group(1)] = {"line": i, "character": m.start()}
                line = line[:m.start()] + line[m.end():]
            lines[i] = line
        self.text = "\n".join(lines)
        Doc.count += 1
        self.uri = path.with_name(f"{path.stem}-{Doc.count}{path.suffix}").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": self.uri, "languageId": "yaml",
                                                                "version": 1, "text": self.text}})

    def diagnostics(self) -> list[dict]:
        return self.client.wait_notification("textDocument/publishDiagnostics",
                                             lambda p: p.get("uri") == self.uri)["diagnostics"]

    def completion(self, at: str) -> list[str]:
        result = self.client.request("textDocument/completion",
                                     {"textDocument": {"uri": self.uri}, "position": self.positions[at]})
        items = result["items"] if isinstance(result, dict) else result or []
        return [item["label"] for item in items]

    def hover(self, at: str) -> str:
        result = self.client.request("textDocument/hover",
                                     {"textDocument": {"uri": self.uri}, "position": self.positions[at]})
        assert result is not None, f"no hover at {at}"
        contents = result["contents"]
        text = contents["value"] if isinstance(contents, dict) else str(contents)
        return re.sub(r"\\([\\`*_{}\[\]()#+\-.!$<>|~])", r"\1", text)  # undo the Markdown escapes

    def line_of(self, needle: str) -> int:
        return next(i for i, line in enumerate(self.text.split("\n")) if needle in line)


def test_completion_offers_each_layer_type_once(server, tmp_path) -> None:
    doc = Doc(server, MODELINE + (
        "archspec: 1\n"
        "model:\n"
        "  inputs:\n"
        "    image: {shape: [32, 32, 3]}\n"
        "  layers:\n"
        "    - Flatten\n"
        "    - «here»\n"), tmp_path / "net.yaml")
    labels = doc.completion("here")
    assert [op for op in LAYERS if labels.count(op) != 1] == [], labels
    # ... and under no other label (e.g. "Conv2DEntry" for a whole mapping beside "Conv2D").
    assert [label for label in labels if label not in LAYERS and any(op in label for op in LAYERS)] == []
    assert "Input" not in labels
    assert {"repeat", "for", "if"} <= set(labels)


def test_completion_in_a_layer_offers_its_arguments(server, tmp_path) -> None:
    doc = Doc(server, MODELINE + (
        "archspec: 1\n"
        "model:\n"
        "  inputs:\n"
        "    image: {shape: [32, 32, 3]}\n"
        "  layers:\n"
        "    - Conv2D:\n"
        "        «here»\n"
        "    - Flatten\n"), tmp_path / "net.yaml")
    labels = doc.completion("here")
    keys = [label for label in labels if "(" not in label]  # not the snippet of a whole mapping, "object(Conv2D)"
    assert sorted(keys) == sorted([*REGISTRY["Conv2D"].params.model_fields, *RESERVED])
    assert "units" not in labels  # Dense's, not Conv2D's


def test_hover_shows_descriptions(server, tmp_path) -> None:
    doc = Doc(server, MODELINE + (
        "archspec: 1\n"
        "model:\n"
        "  inputs:\n"
        "    image: {shape: [32, 32, 3]}\n"
        "  layers:\n"
        "    - Con«layer»v2D:\n"
        "        fil«filters»ters: 8\n"
        "        kernel_size: 3\n"
        "        padding: sa«padding»me\n"
        "    - Dense: {u«units»nits: 4, activation: softmax}\n"), tmp_path / "net.yaml")
    assert doc.diagnostics() == []
    conv, dense = REGISTRY["Conv2D"], REGISTRY["Dense"]
    filters = doc.hover("filters")
    assert "Conv2D.filters" in filters and conv.argument_doc("filters") in filters
    assert conv.argument_doc("padding") in doc.hover("padding")
    assert dense.argument_doc("units") in doc.hover("units")
    assert conv.doc in doc.hover("layer")


def test_wrong_values_give_diagnostics(server, tmp_path) -> None:
    doc = Doc(server, MODELINE + (
        "archspec: 1\n"
        "model:\n"
        "  inputs:\n"
        "    image: {shape: [32, 32, 3]}\n"
        "  layers:\n"
        "    - Conv2D: {filters: 8, kernel_size: 3, padding: sideways}\n"
        "    - Conv2D: {filters: -3, kernel_size: 3}\n"
        "    - Dense: {units: 4, activation: relux}\n"), tmp_path / "net.yaml")
    found = {(d["range"]["start"]["line"], d["message"]) for d in doc.diagnostics()}
    lines = {line for line, _ in found}
    assert lines == {doc.line_of("sideways"), doc.line_of("-3"), doc.line_of("relux")}, found
    messages = " ".join(message for _, message in found)
    assert '"valid"' in messages and '"same"' in messages  # the allowed paddings
    assert "minimum of 1" in messages


def test_bundled_specs_have_no_diagnostics(server) -> None:
    """The `yaml.schemas` association (no modeline): a wrong value under specs/ is flagged, the bundled specs are
    clean (the server's validator agrees with archc on all of them)."""
    probe = Doc(server, "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - Dense: {units: 0}\n",
                ROOT / "specs" / "probe.yaml")
    assert [d["range"]["start"]["line"] for d in probe.diagnostics()] == [4]
    specs = sorted((ROOT / "specs").glob("**/*.yaml"))
    assert specs
    problems = {}
    for path in specs:
        doc = Doc(server, path.read_text(encoding="utf-8"), path)
        if found := doc.diagnostics():
            problems[str(path.relative_to(ROOT))] = [(d["range"]["start"]["line"] + 1, d["message"]) for d in found]
    assert problems == {}
