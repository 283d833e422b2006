"""The JSON Schema: generated from the models, committed, current, and it accepts every bundled spec."""

from __future__ import annotations

import json

import jsonschema
import pytest

from archcompiler.parse import parse
from archcompiler.schema import schema_text
from archcompiler.source import SourceFile
from helpers import ROOT

SCHEMA_PATH = ROOT / "schema" / "archspec.schema.json"
SPEC_FILES = sorted(p for p in ROOT.glob("specs/**/*") if p.suffix in (".yaml", ".json"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), \
        "schema/archspec.schema.json is stale: run `archc schema -o schema/archspec.schema.json`"


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_validates_against_the_schema(path, validator) -> None:
    data = parse(SourceFile.read(path)).data
    errors = [e.message for e in validator.iter_errors(data)]
    assert not errors, errors[:3]


@pytest.mark.parametrize("text", [
    "nmae: x",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Dense: {unitz: 3}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Conv2D: {filters: -1, kernel_size: 3}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{Dense: {units: 3, activation: relux}}]}",
    "model: {inputs: {x: {shape: [4]}}, layers: [{repeat: 2, layers: [Dense: 2], extra: 1}]}",
    "blocks: {b: {layers: []}}",
    "archspec: 2",
])
def test_schema_rejects_bad_specs(text, validator) -> None:
    data = parse(SourceFile("t.yaml", text)).data
    assert list(validator.iter_errors(data))


def test_expressions_are_accepted_where_values_are(validator) -> None:
    text = ("model: {inputs: {x: {shape: $s}}, layers: [{Conv2D: {filters: '${f * 2}', kernel_size: $k, "
            "kernel_initializer: {glorot_uniform: {seed: $seed}}}}]}")
    assert not list(validator.iter_errors(parse(SourceFile("t.yaml", text)).data))
