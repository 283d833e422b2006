"""The spec language's surface: pydantic models for a spec file, the single source of the language and its schema.

Layer arguments are validated per layer type by the registry's parameter models once expressions are evaluated
(expand.py); the entries of a ``layers:`` list (layer and block calls, loops, conditionals) have their grammar in
entries.py, and the detailed schema of a layer entry is generated from the registry by schema.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import core_schema

# The grammar of entries (layers, block calls, loops, conditionals) is declared in entries.py.
from .entries import RESERVED_KEYS, Entry, Ident
from .entries import StrictModel as _Strict

#: The parameter types a block or spec parameter may declare.
ParamType = Literal["int", "float", "number", "bool", "str", "list", "int_list", "shape", "any"]


class ParamDecl(_Strict):
    """A typed parameter of a block or of the spec itself (``{type: int, default: 3, doc: ...}``)."""

    type: ParamType = Field("any", description="The value's type; checked when the block is used.")
    default: Any = Field(None, description="Value used when the caller gives none; omit to make it required.")
    doc: str = Field("", description="What the parameter means, shown in docs and errors.")
    choices: Optional[list[Any]] = Field(None, description="The only values allowed.")

    @property
    def required(self) -> bool:
        """True when no default was written (``default: null`` is a default)."""
        return "default" not in self.model_fields_set


    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict:
        schema = handler(core_schema)
        return {"anyOf": [schema, {"type": ["integer", "number", "boolean", "string", "array", "null"]}],
                "description": "A default value, or a declaration {type, default, doc, choices}."}


def _as_decl(v: Any) -> Any:
    """``name: 3`` is shorthand for ``name: {default: 3}`` (a mapping is always a declaration)."""
    return v if isinstance(v, dict) else {"default": v, "type": _infer_type(v)}


def _infer_type(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "any" if "$" in v else "str"
    return "any"


#: Parameters: ``name: value`` (a default whose type is inferred) or ``name: {type:, default:, doc:}``.
ParamsSection = dict[Ident, Annotated[ParamDecl, BeforeValidator(_as_decl)]]

class BlockDef(_Strict):
    """A named, parameterised template: a small graph of layers and other blocks."""

    doc: str = Field("", description="What the block computes.")
    params: ParamsSection = Field(default_factory=dict, description="The block's parameters.")
    inputs: list[Ident] = Field(default_factory=lambda: ["x"], min_length=1,
                                description="Names of the block's input tensors, usable as references in its body.")
    layers: list[Entry] = Field(min_length=1, description="The body, sequential unless entries say `inputs:`.")
    output: Optional[str] = Field(None, description="Reference to the block's output (default: the last entry).")

    @field_validator("params")
    @classmethod
    def _no_reserved_params(cls, v: dict) -> dict:
        bad = [k for k in v if k in RESERVED_KEYS]
        if bad:
            raise ValueError(f"'{bad[0]}' cannot be a block parameter: {', '.join(RESERVED_KEYS)} are keys of every "
                             f"block call")
        return v


class InputDecl(_Strict):
    """A model input."""

    shape: Union[list[Union[int, None, str]], str] = Field(description="Shape without the batch dimension.")
    dtype: str = Field("float32", description="Element type.")
    name: Optional[str] = Field(None, description="Keras layer name (default: the input's key).")


class ModelDef(_Strict):
    """The network: its inputs, its layers (sequential unless wired) and its outputs."""

    inputs: dict[Ident, InputDecl] = Field(min_length=1, description="The model's inputs, by id.")
    layers: list[Entry] = Field(min_length=1, description="Layers, block instances and repeats, in order.")
    outputs: Union[list[str], str, None] = Field(None, description="Reference(s) to the outputs (default: the last).")


class ImportDecl(_Strict):
    """Blocks taken from another spec file (a path relative to this file, inside the spec's directory tree)."""

    from_: str = Field(alias="from", description="Path of the spec file to import from.")
    blocks: Union[list[Ident], Literal["*"]] = Field("*", description="Which blocks to import (default: all).")


class Expect(_Strict):
    """Figures the spec asserts about itself; `archc validate` fails when one does not hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    total_params: Optional[int] = None
    trainable_params: Optional[int] = None
    non_trainable_params: Optional[int] = None
    flops: Optional[int] = None
    macs: Optional[int] = None
    layers: Optional[int] = Field(None, description="Number of layers, inputs included (as len(model.layers)).")
    output_shape: Optional[Union[list[Optional[int]], list[list[Optional[int]]]]] = Field(
        None, description="Output shape without batch; a list of shapes for several outputs.")


class _TrainingSchema:
    """Marks ``SpecFile.training``: the section is taken as written here and checked against
    :class:`archcompiler.training.Training` by load.py only when a spec has one, so that the optimizers' models (and
    training.py) cost nothing to a spec without one. Its JSON Schema is Training's."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.any_schema()

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        from .training import Training
        return handler(Training.__pydantic_core_schema__)  # a reference to #/$defs/Training, as for a model field


#: The ``training:`` section (see :class:`_TrainingSchema`).
TrainingSection = Annotated[Any, _TrainingSchema()]


class SpecFile(_Strict):
    """One archc spec file (YAML or JSON)."""

    # `$schema` only by its alias: `schema_uri` is not a key of the language.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, defer_build=True)

    archspec: Literal[1] = Field(1, description="Version of the spec language.")
    name: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", max_length=128)]] = \
        Field(None, description="The model's name (default: the file's stem).")
    description: str = Field("", description="What the network is and where it comes from.")
    extends: Optional[str] = Field(None, description="A spec file this one is a variant of (relative path).")
    imports: list[ImportDecl] = Field(default_factory=list, description="Blocks taken from other spec files.")
    params: ParamsSection = Field(default_factory=dict,
                                  description="Spec parameters, visible everywhere and settable with --set.")
    blocks: dict[Ident, BlockDef] = Field(default_factory=dict, description="Reusable blocks, by name.")
    model: Optional[ModelDef] = Field(None, description="The network (a library of blocks has none).")
    expect: Optional[Expect] = None
    training: Optional[TrainingSection] = None
    schema_uri: Optional[str] = Field(
        None, alias="$schema",
        description="The JSON Schema editors check this file against (JSON specs; YAML specs use the "
                    "`# yaml-language-server: $schema=...` comment instead). archc ignores it.")


#: Top-level keys in a spec file, for "did you mean".
TOP_KEYS = tuple(f.alias or n for n, f in SpecFile.model_fields.items())
