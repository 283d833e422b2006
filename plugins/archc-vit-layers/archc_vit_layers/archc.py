"""The archc definitions of the package's layer types: arguments (the Keras layers' names and defaults), shape,
parameter, FLOP and MAC rules, label and documentation. Imports archc's layer building blocks, never Keras: the
Keras classes are named by ``keras_path`` and imported by archc's Keras backend only."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from archcompiler.layers.base import (InitializerArg, LayerDef, LayerParams, Shape, ShapeError, doc_initializer,
                                      no_flops, require_known, require_rank)


class ClassTokenParams(LayerParams):
    """Arguments of ``archc_vit_layers.keras_layers.ClassToken``."""

    initializer: InitializerArg = Field("zeros", description=doc_initializer("the token"))


def _class_token_shape(p: ClassTokenParams, ins: list[Shape]) -> Shape:
    x = ins[0]
    require_rank("ClassToken", x, 2, "tokens, dim")
    require_known("ClassToken", x, 1, "dim (last)")
    return (None if x[0] is None else x[0] + 1, x[1])


def _class_token_params(p: ClassTokenParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (ins[0][1], 0)  # type: ignore[return-value]


CLASS_TOKEN = LayerDef(
    op="ClassToken", params=ClassTokenParams, infer=_class_token_shape, count_params=_class_token_params,
    count_flops=no_flops, family="other",
    doc="Prepends a learned token (1 x dim weights) to a sequence of tokens (tokens, dim): the class token of a "
        "vision transformer, whose output the classifier reads.",
    keras_path="archc_vit_layers.keras_layers:ClassToken", label=lambda p: "+1 token")


class AddPositionEmbeddingParams(LayerParams):
    """Arguments of ``archc_vit_layers.keras_layers.AddPositionEmbedding``."""

    initializer: InitializerArg = Field({"random_normal": {"stddev": 0.02}},
                                        description=doc_initializer("the embeddings"))


def _position_shape(p: AddPositionEmbeddingParams, ins: list[Shape]) -> Shape:
    x = ins[0]
    require_rank("AddPositionEmbedding", x, 2, "tokens, dim")
    if x[0] is None or x[1] is None:
        raise ShapeError(f"AddPositionEmbedding expects a known number of tokens and dim (one embedding per "
                         f"position). Received: input_shape={x}")
    return x


def _position_params(p: AddPositionEmbeddingParams, ins: list[Shape], out: Shape) -> tuple[int, int]:
    return (out[0] * out[1], 0)  # type: ignore[operator]


def _position_flops(p: AddPositionEmbeddingParams, ins: list[Shape], out: Shape) -> Optional[int]:
    return out[0] * out[1]  # type: ignore[operator]  # one add per element


ADD_POSITION_EMBEDDING = LayerDef(
    op="AddPositionEmbedding", params=AddPositionEmbeddingParams, infer=_position_shape,
    count_params=_position_params, count_flops=_position_flops, family="other",
    doc="Adds a learned embedding (tokens x dim weights) to each position of a sequence of tokens (tokens, dim): "
        "the position embeddings of a vision transformer.",
    keras_path="archc_vit_layers.keras_layers:AddPositionEmbedding", label=lambda p: "")

#: What the ``archcompiler.layers`` entry point names.
LAYERS = (CLASS_TOKEN, ADD_POSITION_EMBEDDING)
