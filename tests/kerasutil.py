"""Test helpers that need TensorFlow/Keras: profiler FLOPs and one-layer models built from archc's registry.

Imported only by tests marked ``keras``; importing this module imports TensorFlow.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2  # noqa: E402

from archcompiler.backends.keras import call_layer, make_layer  # noqa: E402  (the backend's own, not a copy)
from archcompiler.layers.base import LayerDef, LayerParams, Shape  # noqa: E402


def frozen_graph(model: keras.Model) -> tf.Graph:
    """Returns the constant-folded inference graph of ``model`` called on a batch of one.

    Args:
        model: a built Keras model with fully known input shapes (batch excluded).
    """
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    specs = [tf.TensorSpec([1, *x.shape[1:]], x.dtype) for x in inputs]

    @tf.function(input_signature=specs)
    def forward(*xs: tf.Tensor) -> Any:
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    concrete = forward.get_concrete_function()
    return convert_variables_to_constants_v2(concrete).graph


def profiler_flops(model: keras.Model) -> int:
    """FLOPs of ``model`` for a batch of one, as TensorFlow's v1 profiler counts them on the frozen graph."""
    graph = frozen_graph(model)
    opts = tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    ).with_empty_output().build()
    info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=opts)
    return int(info.total_float_ops)


def profiler_flops_by_op(model: keras.Model) -> dict[str, int]:
    """Per TensorFlow op type (``Conv2D``, ``BiasAdd`` ...), the FLOPs the profiler counts; for exploring."""
    graph = frozen_graph(model)
    opts = tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    ).with_empty_output().build()
    info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=opts)
    out: dict[str, int] = {}
    nodes = list(info.children)
    while nodes:  # the "op" view nests each op type under the previous one
        node = nodes.pop()
        if node.float_ops:
            out[node.name] = out.get(node.name, 0) + int(node.float_ops)
        nodes.extend(node.children)
    return out


def one_layer_model(defn: LayerDef, params: LayerParams, in_shapes: Sequence[Shape],
                    dtypes: Sequence[str] = ()) -> keras.Model:
    """A functional model: one ``keras.Input`` per input shape (of the element type ``dtypes[i]``, float32 by
    default) feeding a single layer of type ``defn``, made and called as the Keras backend makes and calls it
    (:func:`make_layer`, :func:`call_layer`: by position, or for named inputs by the first names); the model's
    outputs are all of the layer's."""
    inputs = [keras.Input(shape=tuple(s), name=f"in{i}", dtype=dtypes[i] if i < len(dtypes) else "float32")
              for i, s in enumerate(in_shapes)]
    layer = make_layer(defn, params, "layer")
    outs = call_layer(defn, layer, inputs, params=params)
    return keras.Model(inputs, outs if len(outs) > 1 else outs[0])


def unrolled(model: keras.Model) -> keras.Model:
    """A copy of ``model`` whose recurrent layers (inside Bidirectional too) have ``unroll=True``: the same
    computation, with every time step a plain operation the profiler counts (a ``while`` loop's body it counts once
    at most). Weights are not copied: for counting FLOPs only."""
    def unroll(cfg: dict) -> dict:
        if "unroll" in cfg:
            cfg = {**cfg, "unroll": True}
        for key in ("layer", "backward_layer"):
            if isinstance(cfg.get(key), dict) and "config" in cfg[key]:
                cfg = {**cfg, key: {**cfg[key], "config": unroll(cfg[key]["config"])}}
        return cfg

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        return type(layer).from_config(unroll(layer.get_config()))

    return keras.models.clone_model(model, clone_function=clone)


def einsum_flops(model: keras.Model) -> int:
    """FLOPs of the ``Einsum`` operations of ``model``'s frozen graph (batch of one), which TensorFlow's profiler
    has no rule for: 2 per multiply-add, the product of the sizes of all the equation's indices."""
    total = 0
    for op in frozen_graph(model).get_operations():
        if op.type != "Einsum":
            continue
        equation = op.get_attr("equation").decode()
        sizes: dict[str, int] = {}
        for spec, x in zip(equation.split("->")[0].split(","), op.inputs):
            for letter, d in zip(spec, x.shape):
                sizes[letter] = int(d)
        prod = 1
        for d in sizes.values():
            prod *= d
        total += 2 * prod
    return total


def split_params(model: keras.Model) -> tuple[int, int]:
    """``(trainable, non_trainable)`` parameter counts of ``model``."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return trainable, non_trainable


def params_from_keras(defn: LayerDef, layer: keras.layers.Layer) -> LayerParams:
    """archc parameters equivalent to an existing Keras layer's config (initializers and regularizers left default).

    Args:
        defn: the registry entry for the layer's class.
        layer: a Keras layer, e.g. from ``keras.applications``.
    """
    cfg = layer.get_config()
    values = {}
    for key in defn.params.model_fields:
        if key not in cfg or "initializer" in key or "regularizer" in key or key in defn.params.archc_keys:
            continue
        v = cfg[key]
        if key == "data_format" and v == "channels_last":
            v = None
        values[key] = tuple(v) if isinstance(v, list) else v
    return defn.params.model_validate(values)


#: Window pools TensorFlow's profiler has no FLOP rule for (MaxPool3D, AvgPool3D): it reports 0 for them.
UNSEEN_POOLS = ("MaxPooling3D", "AveragePooling3D")


def profiler_unseen_flops(op: str, params: LayerParams, ins: Sequence[Shape], out: Shape) -> int:
    """The part of archc's static FLOPs of one layer that TensorFlow's profiler does not see (the documented
    deviations of layers/base.py), so that ``static - unseen`` is what the profiler reports:

    * a grouped convolution (``groups > 1`` on a convolution; GroupNormalization's ``groups`` is another thing)
      runs in an XLA function: the whole layer;
    * MaxPooling3D and AveragePooling3D: no rule for their ops, the whole layer (window area per output element);
    * Conv3DTranspose: no rule for its kernel's op (only the bias add is seen): 2 x output elements x kernel weights
      / (filters x the product of the strides), truncated.
    """
    import math

    from archcompiler.layers import REGISTRY

    if REGISTRY[op].family == "conv" and getattr(params, "groups", 1) > 1:
        return REGISTRY[op].count_flops(params, list(ins), out) or 0
    if op in UNSEEN_POOLS:
        size = params.pool_size  # type: ignore[attr-defined]
        return math.prod(size) * math.prod(out)  # type: ignore[arg-type]
    if op == "Conv3DTranspose":
        p: Any = params
        weights = math.prod(p.kernel_size) * ins[0][-1] * p.filters
        return int(2 * math.prod(out) * weights / (p.filters * math.prod(p.strides)))  # type: ignore[arg-type]
    return 0


def profiler_unseen_after(op: str, sources: Sequence[tuple[str, LayerParams]], flops: int) -> int:
    """The part of a layer's static FLOPs (``flops``) that the profiler misses because of the layers feeding it
    (``sources``: their types and parameters): a LayerNormalization reading a grouped convolution's output (the
    XLA function's result, ConvNeXt's depthwise convolution) is not seen at all (its mean and variance ops get no
    count), so all of it."""
    from archcompiler.layers import REGISTRY

    if op == "LayerNormalization" and any(REGISTRY[s].family == "conv" and getattr(p, "groups", 1) > 1
                                          for s, p in sources):
        return flops
    return 0


def static_summary(model: keras.Model) -> tuple[int, int, int]:
    """``(flops, trainable, non_trainable)`` of a Keras functional model by archc's rules, layer by layer.

    Every layer's class must be in the registry; each static output shape is checked against Keras's.
    """
    from archcompiler.layers import REGISTRY

    flops = trainable = non_trainable = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        defn = REGISTRY[type(layer).__name__]
        params = params_from_keras(defn, layer)
        xs = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        ins = [tuple(x.shape[1:]) for x in xs]
        out = defn.infer(params, ins)
        assert out == tuple(layer.output.shape[1:]), (layer.name, out, layer.output.shape)
        f = defn.count_flops(params, ins, out)
        assert f is not None, layer.name
        t, n = defn.count_params(params, ins, out)
        flops, trainable, non_trainable = flops + f, trainable + t, non_trainable + n
    return flops, trainable, non_trainable


class LearnedPositions(keras.layers.Layer):
    """A (positions, width) table; returns its first `tokens` rows for each sample. Written here, independent of
    archc's PositionEmbedding, for the hand-written BERT and ViT the tests compare the specs with."""

    def __init__(self, positions: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.positions = positions

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(shape=(self.positions, input_shape[-1]), initializer="zeros", name="table")

    def call(self, x: Any) -> Any:
        tokens = keras.ops.shape(x)[1]
        return keras.ops.zeros_like(x) + self.table[None, :tokens, :]
