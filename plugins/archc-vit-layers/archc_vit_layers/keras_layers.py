"""The Keras 3 layers, registered as serializable in the package ``archc_vit_layers``: a model saved as ``.keras``
loads in any process that imports this module (archc not needed)."""

from __future__ import annotations

from typing import Any

import keras

PACKAGE = "archc_vit_layers"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClassToken(keras.layers.Layer):
    """Prepends a learned token to a sequence: (batch, tokens, dim) -> (batch, tokens + 1, dim); 1 x dim weights."""

    def __init__(self, initializer: Any = "zeros", **kwargs: Any):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape: Any) -> None:
        self.token = self.add_weight(shape=(1, input_shape[-1]), initializer=self.initializer, name="token")

    def call(self, x: Any) -> Any:
        batch = keras.ops.shape(x)[0]
        token = keras.ops.broadcast_to(keras.ops.cast(self.token, x.dtype)[None], (batch, 1, x.shape[-1]))
        return keras.ops.concatenate([token, x], axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        n = input_shape[1]
        return (input_shape[0], None if n is None else n + 1, input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AddPositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding per position: (batch, tokens, dim) -> the same; tokens x dim weights."""

    def __init__(self, initializer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer or keras.initializers.RandomNormal(stddev=0.02))

    def build(self, input_shape: Any) -> None:
        self.embedding = self.add_weight(shape=tuple(input_shape[1:]), initializer=self.initializer,
                                         name="embedding")

    def call(self, x: Any) -> Any:
        return x + keras.ops.cast(self.embedding, x.dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}
