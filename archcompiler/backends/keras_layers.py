"""archc's own Keras layers, for the layer types Keras lacks (layers/embedding.py: PositionEmbedding,
PrependToken). Imported by the Keras backend only, when a spec uses them. Each is registered as serializable under
the package ``archcompiler``: a saved ``.keras`` file loads in any process that imports this module."""

from __future__ import annotations

from typing import Any

import keras

PACKAGE = "archcompiler"


@keras.saving.register_keras_serializable(package=PACKAGE)
class PositionEmbedding(keras.layers.Layer):
    """A trainable ``(sequence_length, dim)`` table; the output is its first ``tokens`` rows broadcast to the input's
    shape ``(batch, ..., tokens, dim)``."""

    def __init__(self, sequence_length: int, initializer: Any = "glorot_uniform", **kwargs: Any):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape: Any) -> None:
        self.embeddings = self.add_weight(shape=(self.sequence_length, input_shape[-1]),
                                          initializer=self.initializer, name="embeddings")

    def call(self, x: Any) -> Any:
        shape = keras.ops.shape(x)
        table = keras.ops.cast(self.embeddings, x.dtype)[: shape[-2]]
        return keras.ops.broadcast_to(table, shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer)}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PrependToken(keras.layers.Layer):
    """Puts a trainable ``dim`` vector in front of a sequence: ``(batch, tokens, dim) -> (batch, tokens + 1, dim)``."""

    def __init__(self, initializer: Any = "zeros", **kwargs: Any):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape: Any) -> None:
        self.token = self.add_weight(shape=(1, 1, input_shape[-1]), initializer=self.initializer, name="token")

    def call(self, x: Any) -> Any:
        batch = keras.ops.shape(x)[0]
        token = keras.ops.broadcast_to(keras.ops.cast(self.token, x.dtype), (batch, 1, keras.ops.shape(x)[-1]))
        return keras.ops.concatenate([token, x], axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        n = input_shape[1]
        return (input_shape[0], None if n is None else n + 1, input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "initializer": keras.initializers.serialize(self.initializer)}
