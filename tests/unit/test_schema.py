"""The JSON Schema: generated from the models, shipped in the package and committed, current, it accepts every
bundled spec, rejects what archc rejects, describes every layer argument, and names each layer type once."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

import archcompiler
from archcompiler import cli
from archcompiler.layers import REGISTRY
from archcompiler.layers.base import default_text
from archcompiler.parse import parse
from archcompiler.schema import packaged_schema, repository_schema, schema_text
from archcompiler.source import SourceFile
from helpers import ROOT

SCHEMA_PATH = ROOT / "schema" / "archspec.schema.json"
PACKAGED_PATH = ROOT / "archcompiler" / "data" / "archspec.schema.json"
SPEC_FILES = sorted(p for p in ROOT.glob("specs/**/*") if p.suffix in (".yaml", ".json"))
LAYERS = sorted(op for op in REGISTRY if op != "Input")  # inputs are declared under model.inputs


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(PACKAGED_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, text: str, name: str = "t.yaml") -> list[str]:
    return [e.message for e in validator.iter_errors(parse(SourceFile(name, text)).data)]


# --- the two copies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SCHEMA_PATH, PACKAGED_PATH], ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_schemas_are_current(path) -> None:
    assert path.read_text(encoding="utf-8") == schema_text(), \
        f"{path.relative_to(ROOT)} is stale: run `make schema`"


def test_the_package_finds_its_copy() -> None:
    assert Path(str(packaged_schema())) == PACKAGED_PATH
    assert repository_schema(ROOT / "docs") == SCHEMA_PATH
    assert repository_schema(ROOT / "archcompiler" / "layers") == SCHEMA_PATH


def test_no_repository_copy_outside_the_repository(tmp_path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "archspec.schema.json").write_text("{}")  # another project's folder of that name
    assert repository_schema(tmp_path) is None


def test_schema_check_from_outside_the_repository(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["schema", "--check"]) == 0
    out = capsys.readouterr().out
    assert out == f"{PACKAGED_PATH} is up to date\n"


def test_schema_check_inside_the_repository_checks_both(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT / "docs")
    assert cli.main(["schema", "--check"]) == 0
    assert capsys.readouterr().out == f"{PACKAGED_PATH} is up to date\n{SCHEMA_PATH} is up to date\n"


def test_schema_check_reports_a_stale_packaged_copy(capsys, tmp_path, monkeypatch) -> None:
    stale = tmp_path / "site" / "archspec.schema.json"
    stale.parent.mkdir()
    stale.write_text(schema_text().replace("Number of output channels", "Number of outputs"), encoding="utf-8")
    monkeypatch.setattr("archcompiler.schema.packaged_schema", lambda: stale)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["schema", "--check"]) == 1
    captured = capsys.readouterr()
    assert captured.err == (f"{Path('site') / 'archspec.schema.json'} is out of date; regenerate it with: "
                            f"archc schema -o {Path('site') / 'archspec.schema.json'}\n")


def test_schema_check_of_a_missing_file_is_a_usage_error(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["schema", "--check", "-o", "nothing.json"]) == 2
    assert "cannot read nothing.json" in capsys.readouterr().err


@pytest.mark.slow
def test_the_wheel_ships_the_schema(tmp_path) -> None:
    """Builds a wheel from the sources, then runs `archc schema --check` from the unpacked wheel, outside the
    repository: the schema it checks is the wheel's own copy."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "archcompiler", src / "archcompiler", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(src)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (tmp_path / "dist").glob("archcompiler-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read("archcompiler/data/archspec.schema.json").decode("utf-8") == schema_text()
        z.extractall(tmp_path / "unpacked")
    run = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import archcompiler.cli;"
                          " print(archcompiler.__file__); sys.exit(archcompiler.cli.main(['schema', '--check']))",
                          str(tmp_path / "unpacked")], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == str(tmp_path / "unpacked" / "archcompiler" / "__init__.py")
    assert lines[1:] == [f"{Path('unpacked') / 'archcompiler' / 'data' / 'archspec.schema.json'} is up to date"]


# --- what it accepts and rejects ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_validates_against_the_schema(path, validator) -> None:
    data = parse(SourceFile.read(path)).data
    found = [e.message for e in validator.iter_errors(data)]
    assert not found, found[:3]


@pytest.mark.parametrize("text", [
    "nmae: x",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Dense: {unitz: 3}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Conv2D: {filters: -1, kernel_size: 3}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Dense: {units: 3, activation: relux}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{repeat: 2, layers: [Dense: 2], extra: 1}]}",
    "blocks: {b: {layers: []}}",
    "archspec: 2",
    # Two layer types in one entry, an Input among the layers, a layer with a repeat's key.
    "model: {inputs: {x: {shape: [4]}}, layers: [{Dense: 3, Flatten: null}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Input: {shape: [3]}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Conv2D: {filters: 8, kernel_size: 3}, repeat: 2}]}",
    # A shorthand value is checked as the argument it sets.
    "model: {inputs: {x: {shape: [4]}}, layers: [{Conv2D: -3}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Activation: relux}]}",
    # `$schema` is a string; only `$schema` is spelled that way.
    '{"$schema": 3}',
    '{"schema_uri": "x"}',
])
def test_schema_rejects_bad_specs(text, validator) -> None:
    assert errors(validator, text)


def test_expressions_are_accepted_where_values_are(validator) -> None:
    text = ("model: {inputs: {x: {shape: $s}}, layers: [{Conv2D: {filters: '${f * 2}', kernel_size: $k, "
            "kernel_initializer: {glorot_uniform: {seed: $seed}}}}, {Conv2D: $f}]}")
    assert not errors(validator, text)


def test_block_calls_take_the_keys_of_every_entry(validator) -> None:
    text = ("model: {inputs: {x: {shape: [4]}}, layers: [{stage: {width: 8}, id: s, name: stage1, inputs: x, "
            "trainable: false}, {stage: null, name: stage2}]}")
    assert not errors(validator, text)


# --- `$schema` in JSON specs, the modeline in YAML specs --------------------------------------------------------

JSON_SPEC = {"archspec": 1, "model": {"inputs": {"x": {"shape": [4]}}, "layers": [{"Dense": {"units": 3}}]}}


def test_json_specs_may_name_their_schema(validator) -> None:
    with_schema = json.dumps({"$schema": "../schema/archspec.schema.json", **JSON_SPEC})
    assert not errors(validator, with_schema, "net.json")
    a = archcompiler.compile_text(with_schema, "net.json")
    b = archcompiler.compile_text(json.dumps(JSON_SPEC), "net.json")
    assert a.ir() == b.ir() and a.summary_data() == b.summary_data()


def test_schema_uri_is_not_a_key_of_the_language() -> None:
    with pytest.raises(archcompiler.CompileError) as err:
        archcompiler.compile_text(json.dumps({"schema_uri": "x", **JSON_SPEC}), "net.json")
    assert [d.code for d in err.value.diagnostics] == ["E200"]


def test_yaml_specs_name_their_schema_in_a_modeline(validator) -> None:
    body = "archspec: 1\nmodel:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - Dense: 3\n"
    with_modeline = "# yaml-language-server: $schema=../schema/archspec.schema.json\n" + body
    assert not errors(validator, with_modeline)
    assert archcompiler.compile_text(with_modeline, "net.yaml").ir() == archcompiler.compile_text(body, "net.yaml").ir()


# --- descriptions and completion ------------------------------------------------------------------------------


def _layer_arguments(schema: dict, op: str) -> dict:
    mapping = schema["$defs"]["Layer"]["properties"][op]["anyOf"][0]
    assert mapping["type"] == "object"
    return mapping["properties"]


def _default_mention(info) -> str:
    return "Required." if info.is_required() else f"Default: `{default_text(info.get_default())}`."


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_every_argument_is_described_with_its_default(op, schema) -> None:
    defn = REGISTRY[op]
    props = schema["$defs"]["InputDecl"]["properties"] if op == "Input" else _layer_arguments(schema, op)
    for name, info in defn.params.model_fields.items():
        assert info.description and info.description.strip(), f"{op}.{name} has no description"
        text = props[name]["description"]
        assert text.startswith(info.description.strip()), (op, name, text)
        assert _default_mention(info) in text, (op, name, text)
        keras = f"`{defn.keras_full_name}({name}=...)`" if defn.is_layer else f"`{defn.arithmetic}`"
        assert keras in text, (op, name, text)


def test_descriptions_say_the_default_as_a_spec_writes_it() -> None:
    conv = REGISTRY["Conv2D"]
    assert "Default: `[1, 1]`." in conv.argument_doc("strides")
    assert "Default: `valid`." in conv.argument_doc("padding")
    assert "Default: `null`." in conv.argument_doc("activation")
    assert "Default: `true`." in conv.argument_doc("use_bias")
    assert "Required." in conv.argument_doc("filters")
    assert "Default: `[[1, 1], [1, 1]]`." in REGISTRY["ZeroPadding2D"].argument_doc("padding")


def test_nested_arguments_are_described(schema) -> None:
    for model in ("InitializerArgs", "Regularizer"):
        for name, prop in schema["$defs"][model]["properties"].items():
            assert prop.get("description"), f"{model}.{name}"


def test_each_layer_type_is_proposed_once(schema) -> None:
    """Editors propose the property names of every object alternative of an entry: each layer type must be the
    property of exactly one, and every layer's value schema is there."""
    defs = schema["$defs"]
    names: list[str] = []
    for alternative in defs["Entry"]["anyOf"]:
        target = defs[alternative["$ref"].rsplit("/", 1)[-1]] if "$ref" in alternative else alternative
        names += list(target.get("properties", {}))
    for op in LAYERS:
        assert names.count(op) == 1, op
    assert "Input" not in names
    assert set(defs["Layer"]["properties"]) == set(LAYERS) | {"id", "inputs", "name", "trainable"}
    assert not [k for k in defs if re.fullmatch(r"[A-Za-z0-9]+Entry", k) and k not in ("RepeatEntry", "IfEntry")]


def test_layer_values_carry_their_doc(schema) -> None:
    for op in LAYERS:
        value = schema["$defs"]["Layer"]["properties"][op]
        assert value["title"] == op
        assert value["description"].startswith(REGISTRY[op].doc)
        kinds = [alt.get("type") for alt in value["anyOf"]]
        assert kinds[:2] == ["object", "null"]
        assert len(kinds) == (3 if REGISTRY[op].positional else 2)
