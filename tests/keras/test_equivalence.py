"""The archc-built models compute what independently written Keras code computes.

For each tutorial network, this file holds a hand-written Keras implementation in the style the tutorials use
(``identity_block`` / ``convolutional_block`` functions, a ``residual_module`` ...), written from the architecture
descriptions, not generated from the specs. For the ``specs/keras_applications`` specs the independent
implementation is ``keras.applications`` itself (``weights=None``).

Each test builds both models, gives the reference random weights (kernels from their initializers; biases, batch
norm scales, offsets and moving statistics drawn at random so that no layer is an identity), copies them into the
archc model and compares predictions on random inputs, in inference mode:

* by name when the spec keeps the reference's layer names (HappyModel, ResNet-50 signs, VGG16, SqueezeNet, the
  U-Net, the 3D CNN (Keras's automatic names on both sides), the normalized CNN, the keras.applications specs),
  through the public ``archcompiler.backends.keras.load_weights_by_name``, which must match every layer
  (``strict=True``); for keras.applications the weights travel through each supported source: a Keras 3
  ``.weights.h5`` file, a legacy ``.h5`` file, a ``.keras`` file and the model object itself;
* by order otherwise (ResNet-18/34, the CIFAR pre-activation ResNet, linear regression, whose specs use Keras's
  automatic names): the layers that have weights, in ``model.layers`` order, must pair up with the same class and
  weight shapes.

Two tensors are compared: the model's output and the input of its last layer (the features before the classifier,
which a saturated softmax could hide). Tolerance: ``atol = 1e-5`` on outputs, and ``1e-5`` relative to the largest
feature magnitude on features. Both models run the same operations on the same weights in the same order, and the
measured difference is 0.0 (bit-identical) for every network here.

Reduced sizes where the full one only costs time: VGG16 at 32x32x3 with 10 classes (its dense layers depend on the
input size: fc1 then has 512 inputs instead of 25088), ResNet-101 and ResNet-152 at 64x64x3, the DenseNets at 32x32x3
(the smallest keras.applications allows), the MobileNets at 64x64x3 (global pooling: the weights are the full
models'), InceptionV3 at 75x75x3 and Xception at 71x71x3 (the smallest sizes Keras allows; their default sizes are
the slow tests); NASNetMobile and NASNetLarge (771 and 1041 layers, 15-30 s to build each side) are slow tests, and
small members of the same family (Keras's NASNet function with few cells) are the fast ones. For the DenseNet and
MobileNet families, every variant (DenseNet-121/169/201; MobileNet's alpha 0.25 to 1.0 and a depth multiplier of 2;
MobileNetV2's alpha 0.35 to 1.4; EfficientNet-B0 to B7, B0 at 64x64 and 75x67, B1 to B7 at 32x32; EfficientNetV2-B0
at 64x64, B1 to L at 32x32) and the models without their top (each pooling) are compared, the ones that add nothing
new to the default run marked slow. For the keras.applications families beyond ResNet, ``check_application``
also compares the layer names in ``model.layers`` order: most of their layers carry Keras's automatic names
(``conv2d_17``, ``add_3``), which only agree when the spec creates the same layers in the same order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pytest

import archcompiler
from archcompiler.backends.keras import WeightsMismatchError, load_weights_by_name

kerasutil = pytest.importorskip("kerasutil")
keras = kerasutil.keras
layers = keras.layers

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("fresh_keras")]

SPECS = Path(__file__).resolve().parents[2] / "specs"
ATOL = 1e-5



# ---------------------------------------------------------------------------------------------------------------
# hand-written reference implementations
# ---------------------------------------------------------------------------------------------------------------

def happy_model(input_shape: Sequence[int] = (64, 64, 3)) -> keras.Model:
    """HappyModel: pad, 7x7 convolution, batch norm, ReLU, max-pool, a sigmoid unit."""
    x_input = keras.Input(input_shape)
    x = layers.ZeroPadding2D((3, 3))(x_input)
    x = layers.Conv2D(32, (7, 7), strides=(1, 1), name="conv0")(x)
    x = layers.BatchNormalization(axis=3, name="bn0")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D((2, 2), name="max_pool")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1, activation="sigmoid", name="fc")(x)
    return keras.Model(inputs=x_input, outputs=x, name="HappyModel")


def identity_block(x: Any, f: int, filters: Sequence[int], stage: int, block: str) -> Any:
    """Bottleneck block whose shortcut is its input."""
    conv_name, bn_name = f"res{stage}{block}_branch", f"bn{stage}{block}_branch"
    f1, f2, f3 = filters
    shortcut = x
    x = layers.Conv2D(f1, (1, 1), strides=(1, 1), padding="valid", name=conv_name + "2a")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2a")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(f2, (f, f), strides=(1, 1), padding="same", name=conv_name + "2b")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2b")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(f3, (1, 1), strides=(1, 1), padding="valid", name=conv_name + "2c")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2c")(x)
    x = layers.Add()([x, shortcut])
    return layers.Activation("relu")(x)


def convolutional_block(x: Any, f: int, filters: Sequence[int], stage: int, block: str, s: int = 2) -> Any:
    """Bottleneck block with a strided 1x1 convolution and batch norm on the shortcut."""
    conv_name, bn_name = f"res{stage}{block}_branch", f"bn{stage}{block}_branch"
    f1, f2, f3 = filters
    shortcut = x
    x = layers.Conv2D(f1, (1, 1), strides=(s, s), name=conv_name + "2a")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2a")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(f2, (f, f), strides=(1, 1), padding="same", name=conv_name + "2b")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2b")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(f3, (1, 1), strides=(1, 1), padding="valid", name=conv_name + "2c")(x)
    x = layers.BatchNormalization(axis=3, name=bn_name + "2c")(x)
    shortcut = layers.Conv2D(f3, (1, 1), strides=(s, s), padding="valid", name=conv_name + "1")(shortcut)
    shortcut = layers.BatchNormalization(axis=3, name=bn_name + "1")(shortcut)
    x = layers.Add()([x, shortcut])
    return layers.Activation("relu")(x)


def resnet50_signs(input_shape: Sequence[int] = (64, 64, 3), classes: int = 6) -> keras.Model:
    """ResNet-50 of the hand-signs assignment: stage 1, then stages 2-5 of 3, 4, 6 and 3 blocks."""
    x_input = keras.Input(input_shape)
    x = layers.ZeroPadding2D((3, 3))(x_input)
    x = layers.Conv2D(64, (7, 7), strides=(2, 2), name="conv1")(x)
    x = layers.BatchNormalization(axis=3, name="bn_conv1")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = convolutional_block(x, f=3, filters=[64, 64, 256], stage=2, block="a", s=1)
    x = identity_block(x, 3, [64, 64, 256], stage=2, block="b")
    x = identity_block(x, 3, [64, 64, 256], stage=2, block="c")

    x = convolutional_block(x, f=3, filters=[128, 128, 512], stage=3, block="a", s=2)
    for b in "bcd":
        x = identity_block(x, 3, [128, 128, 512], stage=3, block=b)

    x = convolutional_block(x, f=3, filters=[256, 256, 1024], stage=4, block="a", s=2)
    for b in "bcdef":
        x = identity_block(x, 3, [256, 256, 1024], stage=4, block=b)

    x = convolutional_block(x, f=3, filters=[512, 512, 2048], stage=5, block="a", s=2)
    x = identity_block(x, 3, [512, 512, 2048], stage=5, block="b")
    x = identity_block(x, 3, [512, 512, 2048], stage=5, block="c")

    x = layers.AveragePooling2D((2, 2), name="avg_pool")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, activation="softmax", name=f"fc{classes}")(x)
    return keras.Model(inputs=x_input, outputs=x, name="ResNet50")


def residual(x: Any, num_channels: int, use_1x1conv: bool = False, strides: int = 1) -> Any:
    """Two 3x3 convolutions with batch norm; the shortcut projected by a 1x1 convolution when asked."""
    y = layers.Conv2D(num_channels, kernel_size=3, padding="same", strides=strides)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(num_channels, kernel_size=3, padding="same")(y)
    y = layers.BatchNormalization()(y)
    if use_1x1conv:
        x = layers.Conv2D(num_channels, kernel_size=1, strides=strides)(x)
    y = layers.Add()([y, x])
    return layers.Activation("relu")(y)


def resnet_basic(input_shape: Sequence[int] = (224, 224, 1), classes: int = 10,
                 arch: Sequence[int] = (2, 2, 2, 2)) -> keras.Model:
    """ResNet-18 (arch 2, 2, 2, 2) or ResNet-34 (3, 4, 6, 3) of two-convolution residual blocks."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(64, kernel_size=7, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)
    for i, (blocks, channels) in enumerate(zip(arch, (64, 128, 256, 512))):
        for j in range(blocks):
            if j == 0 and i != 0:
                x = residual(x, channels, use_1x1conv=True, strides=2)
            else:
                x = residual(x, channels)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, x)


def residual_module(data: Any, k: int, stride: int, red: bool = False, reg: float = 1e-4, bn_eps: float = 2e-5,
                    bn_mom: float = 0.9) -> Any:
    """Pre-activation bottleneck: (BN, ReLU, conv) x 3 with K/4, K/4, K filters, plus the shortcut."""
    shortcut = data
    bn1 = layers.BatchNormalization(axis=-1, epsilon=bn_eps, momentum=bn_mom)(data)
    act1 = layers.Activation("relu")(bn1)
    conv1 = layers.Conv2D(int(k * 0.25), (1, 1), use_bias=False,
                          kernel_regularizer=keras.regularizers.l2(reg))(act1)
    bn2 = layers.BatchNormalization(axis=-1, epsilon=bn_eps, momentum=bn_mom)(conv1)
    act2 = layers.Activation("relu")(bn2)
    conv2 = layers.Conv2D(int(k * 0.25), (3, 3), strides=stride, padding="same", use_bias=False,
                          kernel_regularizer=keras.regularizers.l2(reg))(act2)
    bn3 = layers.BatchNormalization(axis=-1, epsilon=bn_eps, momentum=bn_mom)(conv2)
    act3 = layers.Activation("relu")(bn3)
    conv3 = layers.Conv2D(k, (1, 1), use_bias=False, kernel_regularizer=keras.regularizers.l2(reg))(act3)
    if red:
        shortcut = layers.Conv2D(k, (1, 1), strides=stride, use_bias=False,
                                 kernel_regularizer=keras.regularizers.l2(reg))(act1)
    return layers.add([conv3, shortcut])


def preact_resnet(width: int = 32, height: int = 32, depth: int = 3, classes: int = 10,
                  stages: Sequence[int] = (3, 4, 6), filters: Sequence[int] = (64, 128, 256, 512),
                  reg: float = 1e-4, bn_eps: float = 2e-5, bn_mom: float = 0.9) -> keras.Model:
    """The CIFAR-10 pre-activation ResNet: BN, 3x3 convolution, three stages of residual modules, classifier."""
    inputs = keras.Input(shape=(height, width, depth))
    x = layers.BatchNormalization(axis=-1, epsilon=bn_eps, momentum=bn_mom)(inputs)
    x = layers.Conv2D(filters[0], (3, 3), use_bias=False, padding="same",
                      kernel_regularizer=keras.regularizers.l2(reg))(x)
    for i in range(len(stages)):
        stride = (1, 1) if i == 0 else (2, 2)
        x = residual_module(x, filters[i + 1], stride, red=True, reg=reg, bn_eps=bn_eps, bn_mom=bn_mom)
        for _ in range(stages[i] - 1):
            x = residual_module(x, filters[i + 1], (1, 1), reg=reg, bn_eps=bn_eps, bn_mom=bn_mom)
    x = layers.BatchNormalization(axis=-1, epsilon=bn_eps, momentum=bn_mom)(x)
    x = layers.Activation("relu")(x)
    x = layers.AveragePooling2D((8, 8))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, kernel_regularizer=keras.regularizers.l2(reg))(x)
    x = layers.Activation("softmax")(x)
    return keras.Model(inputs, x, name="resnet")


def vgg16(input_shape: Sequence[int] = (224, 224, 3), classes: int = 1000) -> keras.Model:
    """VGG16: conv stacks of 2, 2, 3, 3, 3 3x3 convolutions (64 ... 512 filters), each with a 2x2 max-pool."""
    img_input = keras.Input(shape=input_shape)
    x = img_input
    for block, (n, width) in enumerate(zip((2, 2, 3, 3, 3), (64, 128, 256, 512, 512)), start=1):
        for i in range(1, n + 1):
            x = layers.Conv2D(width, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1")(x)
    x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(img_input, x, name="vgg16")


def fire_module(x: Any, fire_id: int, squeeze: int = 16, expand: int = 64) -> Any:
    """SqueezeNet's fire module: 1x1 squeeze, then 1x1 and 3x3 expands concatenated."""
    s_id = f"fire{fire_id}_"
    x = layers.Conv2D(squeeze, (1, 1), padding="valid", name=s_id + "squeeze1x1")(x)
    x = layers.Activation("relu", name=s_id + "relu_squeeze1x1")(x)
    left = layers.Conv2D(expand, (1, 1), padding="valid", name=s_id + "expand1x1")(x)
    left = layers.Activation("relu", name=s_id + "relu_expand1x1")(left)
    right = layers.Conv2D(expand, (3, 3), padding="same", name=s_id + "expand3x3")(x)
    right = layers.Activation("relu", name=s_id + "relu_expand3x3")(right)
    return layers.concatenate([left, right], axis=-1, name=s_id + "concat")


def squeezenet(input_shape: Sequence[int] = (227, 227, 3), classes: int = 1000) -> keras.Model:
    """SqueezeNet v1.1."""
    img_input = keras.Input(shape=input_shape)
    x = layers.Conv2D(64, (3, 3), strides=(2, 2), padding="valid", name="conv1")(img_input)
    x = layers.Activation("relu", name="relu_conv1")(x)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="pool1")(x)
    x = fire_module(x, fire_id=2, squeeze=16, expand=64)
    x = fire_module(x, fire_id=3, squeeze=16, expand=64)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="pool3")(x)
    x = fire_module(x, fire_id=4, squeeze=32, expand=128)
    x = fire_module(x, fire_id=5, squeeze=32, expand=128)
    x = layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="pool5")(x)
    x = fire_module(x, fire_id=6, squeeze=48, expand=192)
    x = fire_module(x, fire_id=7, squeeze=48, expand=192)
    x = fire_module(x, fire_id=8, squeeze=64, expand=256)
    x = fire_module(x, fire_id=9, squeeze=64, expand=256)
    x = layers.Dropout(0.5, name="drop9")(x)
    x = layers.Conv2D(classes, (1, 1), padding="valid", name="conv10")(x)
    x = layers.Activation("relu", name="relu_conv10")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Activation("softmax", name="loss")(x)
    return keras.Model(img_input, x, name="squeezenet")


def double_conv(x: Any, filters: int, name: str) -> Any:
    """U-Net's block: (3x3 convolution without bias, batch norm, ReLU) twice."""
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def unet(input_shape: Sequence[int] = (64, 64, 1), depth: int = 3, base_filters: int = 16,
         classes: int = 2) -> keras.Model:
    """U-Net: the encoder keeps each level's output for the decoder's concatenation at the same resolution."""
    inputs = keras.Input(shape=input_shape, name="image")
    x, skips = inputs, []
    for level in range(depth):
        x = double_conv(x, base_filters * 2 ** level, f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = double_conv(x, base_filters * 2 ** depth, "bottleneck")
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base_filters * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"concat{level}")([x, skips[level]])
        x = double_conv(x, base_filters * 2 ** level, f"dec{level}")
    outputs = layers.Conv2D(classes, 1, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="unet")


def cnn3d(input_shape: Sequence[int] = (16, 32, 32, 1), widths: Sequence[int] = (8, 16, 32),
          classes: int = 4) -> keras.Model:
    """A 3D CNN classifier with Keras's automatic layer names: (Conv3D, BN, ReLU, 2x2x2 max-pool) per width, global
    average pooling, dropout, softmax."""
    inputs = keras.Input(shape=input_shape, name="volume")
    x = inputs
    for width in widths:
        x = layers.Conv3D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling3D(2)(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, x, name="cnn3d")


def normalized_cnn(input_shape: Sequence[int] = (36, 36, 3), classes: int = 10,
                   widths: Sequence[int] = (32, 64, 128), groups: int = 8) -> keras.Model:
    """A classifier with its preprocessing inside: centre crop, rescaling, per-channel standardisation, input
    noise; stages of convolution, group normalisation, ReLU, spatial dropout and max-pooling; unit-length features
    into the classifier."""
    image = keras.Input(shape=input_shape, name="image")
    x = layers.CenterCrop(32, 32, name="crop")(image)
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    x = layers.Normalization(axis=-1, name="normalize")(x)
    x = layers.GaussianNoise(0.05, name="noise")(x)
    for n, filters in enumerate(widths, start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{n}")(x)
        x = layers.GroupNormalization(groups=groups, name=f"gn{n}")(x)
        x = layers.Activation("relu", name=f"relu{n}")(x)
        x = layers.SpatialDropout2D(0.1, name=f"spatial_dropout{n}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{n}")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.UnitNormalization(name="unit_norm")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(image, x, name="normalized_cnn")
def squeeze_excite(x: Any, channels: int, ratio: int, name: str) -> Any:
    """The squeeze-and-excitation gate: channel means -> bottleneck MLP -> sigmoid, broadcast over the map."""
    s = layers.GlobalAveragePooling2D(name=name + "_squeeze")(x)
    s = layers.Dense(channels // ratio, activation="relu", name=name + "_reduce")(s)
    s = layers.Dense(channels, activation="sigmoid", name=name + "_expand")(s)
    s = layers.Reshape((1, 1, channels), name=name + "_gate")(s)
    return layers.Multiply(name=name + "_scale")([x, s])


def se_residual(x: Any, channels: int, strides: int, project: bool, ratio: int, name: str) -> Any:
    """A basic residual block whose residual branch is rescaled by squeeze-and-excitation."""
    y = layers.Conv2D(channels, 3, strides=strides, padding="same", use_bias=False, name=name + "_conv1")(x)
    y = layers.BatchNormalization(name=name + "_bn1")(y)
    y = layers.Activation("relu", name=name + "_relu1")(y)
    y = layers.Conv2D(channels, 3, padding="same", use_bias=False, name=name + "_conv2")(y)
    y = layers.BatchNormalization(name=name + "_bn2")(y)
    y = squeeze_excite(y, channels, ratio, name + "_se")
    if project:
        x = layers.Conv2D(channels, 1, strides=strides, use_bias=False, name=name + "_proj")(x)
        x = layers.BatchNormalization(name=name + "_proj_bn")(x)
    y = layers.Add(name=name + "_add")([y, x])
    return layers.Activation("relu", name=name + "_out")(y)


def se_resnet(input_shape: Sequence[int] = (32, 32, 3), classes: int = 10, widths: Sequence[int] = (16, 32, 64),
              blocks: int = 2, ratio: int = 4) -> keras.Model:
    """A small SE-ResNet: stem, three stages of SE residual blocks (strided and projected at each new stage),
    global average pooling and a softmax classifier."""
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for s, channels in enumerate(widths):
        for b in range(blocks):
            first = s > 0 and b == 0
            x = se_residual(x, channels, 2 if first else 1, first, ratio, f"stage{s + 1}_block{b + 1}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="se_resnet")


def linear_regression() -> keras.Model:
    """y = w * x + b."""
    return keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1)])


# ---------------------------------------------------------------------------------------------------------------
# weights and comparison
# ---------------------------------------------------------------------------------------------------------------

def randomize(model: keras.Model, seed: int = 0) -> None:
    """Random weights everywhere: kernels keep their initializer's draw; biases, batch norm offsets and means are
    N(0, 0.1); batch norm scales and variances U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        new = []
        for v in layer.weights:
            w = np.asarray(v)
            name = v.path.rsplit("/", 1)[-1]
            if name in ("gamma", "moving_variance"):
                w = rng.uniform(0.5, 1.5, w.shape)
            elif name in ("bias", "beta", "moving_mean"):
                w = rng.normal(0.0, 0.1, w.shape)
            new.append(w.astype("float32"))
        if new:
            layer.set_weights(new)


def weighted(model: keras.Model) -> list[Any]:
    """The layers that hold weights, in order, a nested model's (a Sequential used as a layer) opened, as
    load_weights_by_name matches them."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(weighted(layer))
        elif layer.weights:
            out.append(layer)
    return out


def copy_by_order(src: keras.Model, dst: keras.Model) -> int:
    """Copies weights layer by layer in ``model.layers`` order (layers with weights only); both lists must pair up
    with the same classes and weight shapes. Returns the number of layers copied."""
    a, b = weighted(src), weighted(dst)
    assert len(a) == len(b), (len(a), len(b))
    for x, y in zip(a, b):
        assert type(x) is type(y), (x.name, y.name)
        assert [w.shape for w in x.weights] == [w.shape for w in y.weights], (x.name, y.name)
        y.set_weights(x.get_weights())
    return len(a)


def copy_by_name(src: Any, dst: keras.Model) -> int:
    report = load_weights_by_name(dst, src, strict=True)
    assert not report.missing and not report.unused and not report.skipped
    return len(report.loaded)


def probe(model: keras.Model) -> keras.Model:
    """The model with two outputs: the input of its last layer (features) and its output."""
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, [model.layers[-1].input, model.outputs[0]])


def differences(ref: keras.Model, built: keras.Model, shape: Sequence[int], batch: int = 2,
                seed: int = 1) -> tuple[float, float]:
    """Max abs differences of (features, outputs) on a random batch; asserts they are within tolerance."""
    x = np.random.default_rng(seed).normal(size=(batch, *shape)).astype("float32")
    fa, ya = (np.asarray(t) for t in probe(ref)(x, training=False))
    fb, yb = (np.asarray(t) for t in probe(built)(x, training=False))
    assert fa.shape == fb.shape and ya.shape == yb.shape
    assert float(np.std(fa)) > 0, "degenerate features: the comparison would prove nothing"
    df, dy = float(np.max(np.abs(fa - fb))), float(np.max(np.abs(ya - yb)))
    assert df <= ATOL * max(1.0, float(np.max(np.abs(fa)))), df
    assert dy <= ATOL, dy
    return df, dy


MEASURED: dict[str, tuple[float, float]] = {}


def check(name: str, ref: keras.Model, built: keras.Model, copy: Callable[[Any, keras.Model], int],
          source: Any = None) -> None:
    randomize(ref)
    n = copy(ref if source is None else source(ref), built)
    assert n == len(weighted(built)) > 0
    assert ref.count_params() == built.count_params()
    MEASURED[name] = differences(ref, built, tuple(built.inputs[0].shape[1:]))
    print(f"{name}: {n} layers copied; max abs diff features {MEASURED[name][0]:.3g}, "
          f"outputs {MEASURED[name][1]:.3g}")


def spec(path: str, **overrides: Any) -> keras.Model:
    return archcompiler.load(SPECS / path, overrides=overrides or None).to_keras(compile=False)


# ---------------------------------------------------------------------------------------------------------------
# the tutorial networks
# ---------------------------------------------------------------------------------------------------------------

def test_happy_model() -> None:
    check("happy_model", happy_model(), spec("happy_model.yaml"), copy_by_name)


def test_the_comparison_notices_a_small_change() -> None:
    """A control: one moving mean off by 1e-3 in the 64 x 64 x 32 feature map is caught."""
    ref, built = happy_model(), spec("happy_model.yaml")
    randomize(ref)
    copy_by_name(ref, built)
    bn = built.get_layer("bn0")
    gamma, beta, mean, var = bn.get_weights()
    mean[0] += 1e-3
    bn.set_weights([gamma, beta, mean, var])
    with pytest.raises(AssertionError):
        differences(ref, built, (64, 64, 3))


def test_resnet50_signs() -> None:
    check("resnet50_signs", resnet50_signs(), spec("resnet50_signs.yaml"), copy_by_name)


def test_resnet18() -> None:
    check("resnet18", resnet_basic(), spec("resnet18.yaml"), copy_by_order)


def test_resnet34_at_64x64() -> None:
    check("resnet34", resnet_basic((64, 64, 1), arch=(3, 4, 6, 3)), spec("resnet34.yaml", input_shape=[64, 64, 1]),
          copy_by_order)


def test_preact_resnet_cifar() -> None:
    ref = preact_resnet()
    built = spec("preact_resnet_cifar.yaml")
    check("preact_resnet_cifar", ref, built, copy_by_order)
    assert len(built.losses) == len(ref.losses)  # one L2 penalty per kernel on both sides


def test_vgg16_at_32x32() -> None:
    check("vgg16", vgg16((32, 32, 3), classes=10), spec("vgg16.yaml", input_shape=[32, 32, 3], classes=10),
          copy_by_name)


def test_squeezenet() -> None:
    check("squeezenet", squeezenet(), spec("squeezenet.yaml"), copy_by_name)


def test_normalized_cnn() -> None:
    """Every layer of the spec by name, the Normalization statistics included: adapted on pixel-range images in the
    reference, they reach the archc model through load_weights_by_name."""
    ref, built = normalized_cnn(), spec("normalized_cnn.yaml")
    pixels = np.random.default_rng(2).uniform(0, 255, size=(16, 32, 32, 3)).astype("float32")
    ref.get_layer("normalize").adapt(pixels / 255 * [1.0, 0.5, 0.25] + [0.0, 0.4, 0.8])
    mean, variance, _ = ref.get_layer("normalize").get_weights()
    assert np.ptp(mean) > 0.1 and np.ptp(variance) > 0.01  # the standardisation is not an identity
    assert [layer.name for layer in ref.layers] == [layer.name for layer in built.layers]
    check("normalized_cnn", ref, built, copy_by_name)
    assert built.get_layer("normalize").get_weights()[0] == pytest.approx(mean)
def test_se_resnet() -> None:
    ref, built = se_resnet(), spec("se_resnet.yaml")
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    assert kerasutil.split_params(built) == kerasutil.split_params(ref)
    check("se_resnet", ref, built, copy_by_name)


def test_linear_regression() -> None:
    check("linear_regression", linear_regression(), spec("linear_regression.yaml"), copy_by_order)


def same_layers(ref: keras.Model, built: keras.Model) -> None:
    """The same layer names, classes and (trainable, non-trainable) counts on both sides."""
    assert sorted((layer.name, type(layer).__name__) for layer in ref.layers) == \
        sorted((layer.name, type(layer).__name__) for layer in built.layers)
    assert kerasutil.split_params(ref) == kerasutil.split_params(built)


def test_unet() -> None:
    ref, built = unet(), spec("unet.yaml")
    same_layers(ref, built)
    check("unet", ref, built, copy_by_name)


def test_unet_deeper_and_wider() -> None:
    """The parameters reach the network: depth 4 from 32 filters on 32x32x3, 5 classes."""
    ref = unet((32, 32, 3), depth=4, base_filters=32, classes=5)
    built = spec("unet.yaml", input_shape=[32, 32, 3], depth=4, base_filters=32, classes=5)
    same_layers(ref, built)
    check("unet-depth4", ref, built, copy_by_name)


def test_cnn3d() -> None:
    ref = cnn3d()
    built = spec("cnn3d.yaml")
    same_layers(ref, built)
    check("cnn3d", ref, built, copy_by_name)


# ---------------------------------------------------------------------------------------------------------------
# sequence models: integer and several inputs, named inputs, several outputs, wrappers
# ---------------------------------------------------------------------------------------------------------------

def transformer_classifier(vocab: int, seq_len: int, width: int, heads: int, depth: int, ff: int,
                           classes: int) -> keras.Model:
    """Token + position embeddings, post-norm encoder blocks (self-attention, feed-forward), mean over positions."""
    tokens = keras.Input((seq_len,), dtype="int32", name="tokens")
    positions = keras.Input((seq_len,), dtype="int32", name="positions")
    x = layers.Add()([layers.Embedding(vocab, width)(tokens), layers.Embedding(seq_len, width)(positions)])
    for _ in range(depth):
        attended = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)(x, x)
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attended]))
        hidden = layers.Dense(ff, activation="relu")(x)
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dense(width)(hidden)]))
    x = layers.GlobalAveragePooling2D()(layers.Reshape((seq_len, 1, width))(x))
    out = layers.Dense(classes, activation="softmax")(x)
    return keras.Model([tokens, positions], out, name="transformer_text_classifier")


def lstm_encoder_decoder(steps: int, features: int, target_steps: int, target_features: int, width: int,
                         classes: int) -> keras.Model:
    """LSTM, GRU and bidirectional LSTM encoder; its last LSTM's state starts the decoder; a per-step softmax."""
    series = keras.Input((steps, features), name="series")
    targets = keras.Input((target_steps, target_features), name="targets")
    x = layers.LSTM(width, return_sequences=True)(series)
    x = layers.GRU(width, return_sequences=True)(x)
    x = layers.Bidirectional(layers.LSTM(width // 2, return_sequences=True, name="lstm"))(x)
    _, state_h, state_c = layers.LSTM(width, return_state=True)(x)
    y = layers.LSTM(width, return_sequences=True)(targets, initial_state=[state_h, state_c])
    out = layers.TimeDistributed(layers.Dense(classes, activation="softmax", name="dense"))(y)
    return keras.Model([series, targets], out, name="lstm_sequence_model")


def same_predictions(ref: keras.Model, built: keras.Model, xs: list[np.ndarray]) -> tuple[float, float]:
    """As :func:`differences`, for models of several (or integer) inputs given as ``xs``."""
    fa, ya = (np.asarray(t) for t in probe(ref)(xs, training=False))
    fb, yb = (np.asarray(t) for t in probe(built)(xs, training=False))
    assert fa.shape == fb.shape and ya.shape == yb.shape
    assert float(np.std(fa)) > 0, "degenerate features: the comparison would prove nothing"
    df, dy = float(np.max(np.abs(fa - fb))), float(np.max(np.abs(ya - yb)))
    assert df <= ATOL * max(1.0, float(np.max(np.abs(fa)))), df
    assert dy <= ATOL, dy
    return df, dy


def check_sequences(name: str, ref: keras.Model, built: keras.Model, xs: list[np.ndarray]) -> None:
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    assert (built.count_params(), *kerasutil.split_params(built)) == (ref.count_params(),
                                                                       *kerasutil.split_params(ref))
    randomize(ref)
    assert copy_by_order(ref, built) == len(weighted(built)) > 0
    MEASURED[name] = same_predictions(ref, built, xs)


TRANSFORMER = dict(vocab_size=100, seq_len=16, width=16, heads=2, depth=2, ff_width=32, classes=3)


def test_transformer_text_classifier() -> None:
    t = TRANSFORMER
    ref = transformer_classifier(t["vocab_size"], t["seq_len"], t["width"], t["heads"], t["depth"], t["ff_width"],
                                 t["classes"])
    built = spec("transformer_text_classifier.yaml", **t)
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, t["vocab_size"], size=(2, t["seq_len"])).astype("int32")
    positions = np.tile(np.arange(t["seq_len"], dtype="int32"), (2, 1))
    check_sequences("transformer_text_classifier", ref, built, [tokens, positions])
    full = archcompiler.load(SPECS / "transformer_text_classifier.yaml").to_keras(compile=False)
    assert full.count_params() == 199170


def test_lstm_sequence_model() -> None:
    ref = lstm_encoder_decoder(10, 3, 6, 2, 8, 4)
    built = spec("lstm_sequence_model.yaml", steps=10, features=3, target_steps=6, target_features=2, width=8,
                 classes=4)
    rng = np.random.default_rng(4)
    xs = [rng.normal(size=(2, 10, 3)).astype("float32"), rng.normal(size=(2, 6, 2)).astype("float32")]
    check_sequences("lstm_sequence_model", ref, built, xs)


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: weights by name, from every kind of source
# ---------------------------------------------------------------------------------------------------------------

def test_resnet50_from_a_weights_h5_file(tmp_path: Path) -> None:
    def saved(ref: keras.Model) -> Path:
        ref.save_weights(tmp_path / "resnet50.weights.h5")
        return tmp_path / "resnet50.weights.h5"

    check("keras_applications/resnet50", keras.applications.ResNet50(weights=None),
          spec("keras_applications/resnet50.yaml"), copy_by_name, saved)


def test_resnet50v2_from_the_model() -> None:
    check("keras_applications/resnet50v2", keras.applications.ResNet50V2(weights=None),
          spec("keras_applications/resnet50v2.yaml"), copy_by_name)


def test_resnet101_from_a_legacy_h5_file(tmp_path: Path) -> None:
    """The layout of published ImageNet weight files (Keras 2): layer_names and weight_names attributes."""
    def saved(ref: keras.Model) -> Path:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "legacy format" advice
            ref.save(tmp_path / "resnet101.h5")
        return tmp_path / "resnet101.h5"

    check("keras_applications/resnet101", keras.applications.ResNet101(weights=None, input_shape=(64, 64, 3)),
          spec("keras_applications/resnet101.yaml", input_shape=[64, 64, 3]), copy_by_name, saved)


def test_resnet152_from_a_keras_file(tmp_path: Path) -> None:
    def saved(ref: keras.Model) -> Path:
        ref.save(tmp_path / "resnet152.keras")
        return tmp_path / "resnet152.keras"

    check("keras_applications/resnet152", keras.applications.ResNet152(weights=None, input_shape=(64, 64, 3)),
          spec("keras_applications/resnet152.yaml", input_shape=[64, 64, 3]), copy_by_name, saved)


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: DenseNet, MobileNet, MobileNetV2 (every variant a parameter of one family spec)
# ---------------------------------------------------------------------------------------------------------------

def check_unknown_rows_and_columns(ref: keras.Model, built: keras.Model, features: int) -> None:
    """Models built for an input of unknown rows and columns: the same layer names and the same zero padding as
    Keras chose without knowing the sizes, then the same features on an odd-sized image with copied weights."""
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    pads = [layer.get_config()["padding"] for layer in built.layers if layer.name.endswith("_pad")]
    assert pads == [layer.get_config()["padding"] for layer in ref.layers if layer.name.endswith("_pad")]
    randomize(ref)
    copy_by_name(ref, built)
    x = np.random.default_rng(1).normal(size=(2, 65, 65, 3)).astype("float32")
    ya, yb = np.asarray(ref(x, training=False)), np.asarray(built(x, training=False))
    assert ya.shape == yb.shape == (2, features) and float(np.std(ya)) > 0
    assert float(np.max(np.abs(ya - yb))) <= ATOL * max(1.0, float(np.max(np.abs(ya))))


def check_application(name: str, ref: keras.Model, built: keras.Model) -> None:
    """The archc model is the keras.applications model layer for layer: the same names in the same order, the same
    classes and parameter counts (trainable, non-trainable), then the same predictions on copied weights."""
    assert [layer.name for layer in built.layers] == [layer.name for layer in ref.layers]
    assert [type(layer).__name__ for layer in built.layers] == [type(layer).__name__ for layer in ref.layers]
    assert kerasutil.split_params(built) == kerasutil.split_params(ref)
    assert [tuple(t.shape) for t in built.outputs] == [tuple(t.shape) for t in ref.outputs]
    check(name, ref, built, copy_by_name)


def test_densenet121_at_32x32() -> None:
    """32x32 is the smallest input keras.applications allows (the last dense block then runs at 1x1)."""
    check_application("keras_applications/densenet", keras.applications.DenseNet121(weights=None,
                      input_shape=(32, 32, 3)), spec("keras_applications/densenet.yaml", input_shape=[32, 32, 3]))


@pytest.mark.slow
@pytest.mark.parametrize("variant", [169, 201])
def test_densenet169_and_201_at_32x32(variant: int) -> None:
    ref = getattr(keras.applications, f"DenseNet{variant}")(weights=None, input_shape=(32, 32, 3))
    check_application(f"keras_applications/densenet{variant}", ref,
                      spec(f"keras_applications/densenet{variant}.yaml", input_shape=[32, 32, 3]))


@pytest.mark.parametrize("pooling", ["avg", pytest.param("max", marks=pytest.mark.slow),
                                     pytest.param(None, marks=pytest.mark.slow)])
def test_densenet121_without_top(pooling: str | None) -> None:
    ref = keras.applications.DenseNet121(weights=None, include_top=False, pooling=pooling, input_shape=(32, 32, 3))
    built = spec("keras_applications/densenet.yaml", include_top=False, pooling=pooling, input_shape=[32, 32, 3])
    check_application(f"keras_applications/densenet-notop-{pooling}", ref, built)


@pytest.mark.parametrize("alpha, depth_multiplier", [(0.25, 1), pytest.param(0.5, 1, marks=pytest.mark.slow),
                                                     pytest.param(0.75, 1, marks=pytest.mark.slow), (1.0, 1),
                                                     (0.5, 2)])
def test_mobilenet(alpha: float, depth_multiplier: int) -> None:
    ref = keras.applications.MobileNet(weights=None, alpha=alpha, depth_multiplier=depth_multiplier,
                                       input_shape=(64, 64, 3))
    built = spec("keras_applications/mobilenet.yaml", alpha=alpha, depth_multiplier=depth_multiplier,
                 input_shape=[64, 64, 3])
    check_application(f"keras_applications/mobilenet-{alpha}-{depth_multiplier}", ref, built)


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_mobilenet_without_top(pooling: str) -> None:
    ref = keras.applications.MobileNet(weights=None, alpha=0.5, include_top=False, pooling=pooling,
                                       input_shape=(64, 64, 3))
    built = spec("keras_applications/mobilenet.yaml", alpha=0.5, include_top=False, pooling=pooling,
                 input_shape=[64, 64, 3])
    check_application(f"keras_applications/mobilenet-notop-{pooling}", ref, built)


@pytest.mark.parametrize("alpha", [0.35, *(pytest.param(a, marks=pytest.mark.slow) for a in (0.5, 0.75, 1.0)), 1.3,
                                   pytest.param(1.4, marks=pytest.mark.slow)])
def test_mobilenetv2(alpha: float) -> None:
    ref = keras.applications.MobileNetV2(weights=None, alpha=alpha, input_shape=(64, 64, 3))
    built = spec("keras_applications/mobilenetv2.yaml", alpha=alpha, input_shape=[64, 64, 3])
    check_application(f"keras_applications/mobilenetv2-{alpha}", ref, built)


def test_mobilenetv2_pads_odd_feature_maps_as_keras_does() -> None:
    """At 75x67 the strided blocks see odd and even sizes (38x34, 19x17, 10x9, 5x5): keras.applications pads an odd
    side by one row or column more at the top or left (correct_pad); the spec computes the same padding."""
    ref = keras.applications.MobileNetV2(weights=None, alpha=1.4, input_shape=(75, 67, 3))
    built = spec("keras_applications/mobilenetv2.yaml", alpha=1.4, input_shape=[75, 67, 3])
    pads = {layer.name: layer.get_config()["padding"] for layer in built.layers if layer.name.endswith("_pad")}
    assert pads == {layer.name: layer.get_config()["padding"] for layer in ref.layers if layer.name.endswith("_pad")}
    assert sorted({str(p) for p in pads.values()}) == ["((0, 1), (0, 1))", "((0, 1), (1, 1))", "((1, 1), (1, 1))"]
    check_application("keras_applications/mobilenetv2-75x67", ref, built)


def test_mobilenetv2_with_unknown_rows_and_columns() -> None:
    """input_shape [null, null, 3]: Keras's correct_pad then pads every strided block by ((0, 1), (0, 1)), and so
    does the spec; the two models agree on a 65x65 batch (odd sizes, which a known shape would pad otherwise)."""
    ref = keras.applications.MobileNetV2(weights=None, alpha=0.35, include_top=False, pooling="avg",
                                         input_shape=(None, None, 3))
    built = spec("keras_applications/mobilenetv2.yaml", alpha=0.35, include_top=False, pooling="avg",
                 input_shape=[None, None, 3])
    check_unknown_rows_and_columns(ref, built, 1280)


@pytest.mark.parametrize("pooling", ["avg", pytest.param("max", marks=pytest.mark.slow),
                                     pytest.param(None, marks=pytest.mark.slow)])
def test_mobilenetv2_without_top(pooling: str | None) -> None:
    ref = keras.applications.MobileNetV2(weights=None, alpha=0.5, include_top=False, pooling=pooling,
                                         input_shape=(64, 64, 3))
    built = spec("keras_applications/mobilenetv2.yaml", alpha=0.5, include_top=False, pooling=pooling,
                 input_shape=[64, 64, 3])
    check_application(f"keras_applications/mobilenetv2-notop-{pooling}", ref, built)


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: InceptionV3, Xception, NASNet (the same layers in the same order, counts, predictions)
# ---------------------------------------------------------------------------------------------------------------

def application(ctor: str, path: str, **args: Any) -> tuple[keras.Model, keras.Model]:
    """``keras.applications.<ctor>(weights=None, **args)`` and the spec at ``path`` with the same arguments as
    parameters (a tuple input shape as a list)."""
    ref = getattr(keras.applications, ctor)(weights=None, **args)
    overrides = {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}
    return ref, spec(path, **overrides)


def test_inception_v3_at_75x75() -> None:
    check_application("keras_applications/inception_v3",
                      *application("InceptionV3", "keras_applications/inception_v3.yaml", input_shape=(75, 75, 3)))


def test_inception_v3_features_with_max_pooling() -> None:
    check_application("keras_applications/inception_v3 (no top, max)",
                      *application("InceptionV3", "keras_applications/inception_v3.yaml", input_shape=(75, 75, 3),
                                   include_top=False, pooling="max"))


def test_xception_at_71x71() -> None:
    check_application("keras_applications/xception",
                      *application("Xception", "keras_applications/xception.yaml", input_shape=(71, 71, 3)))


def test_xception_features_with_average_pooling() -> None:
    check_application("keras_applications/xception (no top, avg)",
                      *application("Xception", "keras_applications/xception.yaml", input_shape=(71, 71, 3),
                                   include_top=False, pooling="avg"))


#: Small members of the NASNet family (Keras's NASNet function, which NASNetMobile and NASNetLarge call): few
#: cells, so that they build in seconds, with and without skipped reductions, one normal cell per stage (p is then
#: a reduction cell's output) and another filter multiplier; an odd and a non-square input (the padding of the
#: strided convolutions follows the parity of each side). Those of one normal cell per stage (about 280 layers, 10 s)
#: are in the default suite, the others are slow.
NASNETS = {
    "skip-1-block": dict(input_shape=(33, 33, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
                         skip_reduction=True, classes=10),
    "no-skip-2-blocks": dict(input_shape=(40, 57, 3), penultimate_filters=96, num_blocks=2, stem_block_filters=16,
                             skip_reduction=False, classes=10),
    "multiplier-3": dict(input_shape=(32, 32, 3), penultimate_filters=432, num_blocks=2, stem_block_filters=12,
                         filter_multiplier=3, skip_reduction=True, classes=10),
    "no-top-max": dict(input_shape=(35, 35, 3), penultimate_filters=96, num_blocks=1, stem_block_filters=8,
                       skip_reduction=False, include_top=False, pooling="max"),
}


@pytest.mark.parametrize("variant", [pytest.param(v, marks=[pytest.mark.slow] if "2-blocks" in v or "multiplier" in v
                                                   else []) for v in NASNETS])
def test_small_nasnets(variant: str) -> None:
    from keras.src.applications.nasnet import NASNet  # the function keras.applications' NASNets call

    args = NASNETS[variant]
    ref = NASNet(weights=None, **args)
    overrides = {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}
    check_application(f"keras_applications/nasnet ({variant})", ref, spec("keras_applications/nasnet.yaml",
                                                                          **overrides))


def test_nasnet_specs_are_keras_nasnet_mobile_and_large() -> None:
    """The family spec's defaults are NASNetMobile's arguments of NASNet, and nasnet_large.yaml sets NASNetLarge's."""
    mobile = archcompiler.load(SPECS / "keras_applications/nasnet.yaml")
    large = archcompiler.load(SPECS / "keras_applications/nasnet_large.yaml")
    assert (mobile.graph.name, large.graph.name) == ("nasnet_mobile", "nasnet_large")
    assert mobile.types["input_layer"].shape == (224, 224, 3) and large.types["input_layer"].shape == (331, 331, 3)


@pytest.mark.slow
@pytest.mark.parametrize("ctor,path", [("InceptionV3", "inception_v3.yaml"), ("Xception", "xception.yaml"),
                                       ("NASNetMobile", "nasnet.yaml")])
def test_application_at_its_default_size(ctor: str, path: str) -> None:
    check_application(f"keras_applications/{path}", *application(ctor, f"keras_applications/{path}"))


@pytest.mark.slow
def test_nasnet_large_at_64x64() -> None:
    check_application("keras_applications/nasnet_large",
                      *application("NASNetLarge", "keras_applications/nasnet_large.yaml", input_shape=(64, 64, 3)))


@pytest.mark.slow
def test_nasnet_mobile_features_with_average_pooling() -> None:
    check_application("keras_applications/nasnet (no top, avg)",
                      *application("NASNetMobile", "keras_applications/nasnet.yaml", input_shape=(75, 99, 3),
                                   include_top=False, pooling="avg"))


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: EfficientNet B0-B7 (efficientnet.yaml; B1-B7 extend it with their coefficients)
# ---------------------------------------------------------------------------------------------------------------

def efficientnet_spec(variant: int) -> str:
    return "keras_applications/efficientnet" + (f"b{variant}" if variant else "")


def test_efficientnetb0_at_64x64() -> None:
    ref = keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3))
    check_application("keras_applications/efficientnet", ref,
                      spec("keras_applications/efficientnet.yaml", input_shape=[64, 64, 3]))


@pytest.mark.slow
@pytest.mark.parametrize("variant", range(1, 8))
def test_efficientnetb1_to_b7_at_32x32(variant: int) -> None:
    """32x32 is the smallest input keras.applications allows; the widths and depths, hence the parameters and the
    layers, are the full models' (B1: 342 layers ... B7: 816)."""
    ref = getattr(keras.applications, f"EfficientNetB{variant}")(weights=None, input_shape=(32, 32, 3))
    built = spec(f"{efficientnet_spec(variant)}.yaml", input_shape=[32, 32, 3])
    assert len(built.layers) == len(ref.layers) > 300
    check_application(efficientnet_spec(variant), ref, built)


def test_efficientnet_pads_odd_feature_maps_as_keras_does() -> None:
    """At 75x67 the stem and the strided blocks (3x3 and 5x5 depthwise kernels) see odd and even sizes: correct_pad
    pads an odd side by one row or column more at the top or left, and so does the spec."""
    ref = keras.applications.EfficientNetB0(weights=None, input_shape=(75, 67, 3))
    built = spec("keras_applications/efficientnet.yaml", input_shape=[75, 67, 3])
    pads = {layer.name: layer.get_config()["padding"] for layer in built.layers if layer.name.endswith("_pad")}
    assert pads == {layer.name: layer.get_config()["padding"] for layer in ref.layers if layer.name.endswith("_pad")}
    assert len({str(p) for p in pads.values()}) >= 4
    check_application("keras_applications/efficientnet-75x67", ref, built)


def test_efficientnet_drop_connect_rates_are_keras_s() -> None:
    """Each residual block's Dropout has Keras's rate (drop_connect_rate * block / blocks) and its per-sample mask
    (noise_shape (None, 1, 1, 1)); the classifier's dropout is the variant's (B3: 0.3)."""
    ref = keras.applications.EfficientNetB3(weights=None, input_shape=(32, 32, 3))
    built = spec("keras_applications/efficientnetb3.yaml", input_shape=[32, 32, 3])

    def rates(model: keras.Model) -> dict[str, tuple[float, Any]]:
        return {layer.name: (layer.get_config()["rate"], layer.get_config()["noise_shape"])
                for layer in model.layers if type(layer).__name__ == "Dropout"}

    assert rates(built) == rates(ref)
    assert rates(built)["top_dropout"] == (0.3, None) and len(rates(built)) > 15


@pytest.mark.parametrize("pooling", ["avg", pytest.param("max", marks=pytest.mark.slow),
                                     pytest.param(None, marks=pytest.mark.slow)])
def test_efficientnetb0_without_top(pooling: str | None) -> None:
    ref = keras.applications.EfficientNetB0(weights=None, include_top=False, pooling=pooling,
                                            input_shape=(64, 64, 3))
    built = spec("keras_applications/efficientnet.yaml", include_top=False, pooling=pooling,
                 input_shape=[64, 64, 3])
    check_application(f"keras_applications/efficientnet-notop-{pooling}", ref, built)


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: EfficientNetV2 B0-B3, S, M, L (efficientnetv2.yaml; the others extend it)
# ---------------------------------------------------------------------------------------------------------------

def test_efficientnetv2b0_at_64x64() -> None:
    ref = keras.applications.EfficientNetV2B0(weights=None, input_shape=(64, 64, 3))
    check_application("keras_applications/efficientnetv2", ref,
                      spec("keras_applications/efficientnetv2.yaml", input_shape=[64, 64, 3]))


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["B1", "B2", "B3", "S", "M", "L"])
def test_efficientnetv2b1_to_l_at_32x32(variant: str) -> None:
    """32x32 is the smallest input keras.applications allows; S, M and L rescale their inputs to [-1, 1] where the
    B variants normalize them, and have stage tables of their own."""
    ref = getattr(keras.applications, f"EfficientNetV2{variant}")(weights=None, input_shape=(32, 32, 3))
    built = spec(f"keras_applications/efficientnetv2{variant.lower()}.yaml", input_shape=[32, 32, 3])
    check_application(f"keras_applications/efficientnetv2{variant.lower()}", ref, built)


def test_efficientnetv2_without_preprocessing() -> None:
    ref = keras.applications.EfficientNetV2B0(weights=None, include_preprocessing=False, input_shape=(64, 64, 3))
    built = spec("keras_applications/efficientnetv2.yaml", include_preprocessing=False, input_shape=[64, 64, 3])
    assert type(built.layers[1]).__name__ == "Conv2D"
    check_application("keras_applications/efficientnetv2-raw", ref, built)


@pytest.mark.parametrize("pooling", ["avg", pytest.param("max", marks=pytest.mark.slow),
                                     pytest.param(None, marks=pytest.mark.slow)])
def test_efficientnetv2b0_without_top(pooling: str | None) -> None:
    ref = keras.applications.EfficientNetV2B0(weights=None, include_top=False, pooling=pooling,
                                              input_shape=(64, 64, 3))
    built = spec("keras_applications/efficientnetv2.yaml", include_top=False, pooling=pooling,
                 input_shape=[64, 64, 3])
    check_application(f"keras_applications/efficientnetv2-notop-{pooling}", ref, built)


# ---------------------------------------------------------------------------------------------------------------
# load_weights_by_name: what it reports and refuses
# ---------------------------------------------------------------------------------------------------------------

SMALL = """
archspec: 1
name: small
params:
  units: 2
model:
  inputs:
    x: {shape: [8, 8, 3]}
  layers:
    - Conv2D: {filters: 4, kernel_size: 3, name: conv}
    - BatchNormalization: {name: bn}
    - GlobalAveragePooling2D
    - Dense: {units: $units, name: head}
"""


def small(**overrides: Any) -> keras.Model:
    return archcompiler.compile_text(SMALL, "small.yaml", overrides=overrides or None).to_keras()


def test_load_weights_by_name_reports_unmatched_layers() -> None:
    src, dst = small(), small()
    ref = keras.Model(src.inputs, src.get_layer("bn").output)  # no head
    randomize(src)
    report = load_weights_by_name(dst, ref)
    assert report.loaded == ["conv", "bn"] and report.missing == ["head"] and not report.unused
    assert all((a == b).all() for a, b in zip(src.get_layer("bn").get_weights(), dst.get_layer("bn").get_weights()))
    with pytest.raises(WeightsMismatchError, match="not every layer"):
        load_weights_by_name(small(), ref, strict=True)
    assert "1 without source weights (head)" in str(report)


def test_load_weights_by_name_refuses_other_shapes() -> None:
    src, dst = small(units=3), small()
    before = [w.copy() for w in dst.get_weights()]
    with pytest.raises(WeightsMismatchError, match=r"head: the model has weights of shapes \[\(4, 2\), \(2,\)\]"):
        load_weights_by_name(dst, src)
    assert all((a == b).all() for a, b in zip(before, dst.get_weights()))  # nothing loaded
    report = load_weights_by_name(dst, src, skip_mismatch=True)
    assert report.loaded == ["conv", "bn"] and list(report.skipped) == ["head"]


def test_load_weights_by_name_rejects_unknown_sources(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_weights_by_name(small(), tmp_path / "none.weights.h5")
    (tmp_path / "w.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="expected a .keras"):
        load_weights_by_name(small(), tmp_path / "w.npz")
    with pytest.raises(TypeError):
        load_weights_by_name(small(), 42)


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: MobileNetV3 (Small: the family spec; Large: a variant extending it)
# ---------------------------------------------------------------------------------------------------------------

V3 = {"Small": "keras_applications/mobilenetv3.yaml", "Large": "keras_applications/mobilenetv3large.yaml"}


def same_arithmetic(ref: keras.Model, built: keras.Model) -> None:
    """The hard sigmoids' tensor arithmetic is there as in Keras: operations that are not layers, in the same order
    of kinds (Add, Multiply), with no weights."""
    def arithmetic(model: keras.Model) -> list[str]:
        return [type(op).__name__ for op in model.operations if not isinstance(op, keras.layers.Layer)]
    assert arithmetic(built) == arithmetic(ref)


@pytest.mark.parametrize("size, options", [
    ("Small", {}), ("Large", {}),
    pytest.param("Small", {"alpha": 0.75}, marks=pytest.mark.slow),
    pytest.param("Large", {"alpha": 0.75}, marks=pytest.mark.slow),
    ("Small", {"minimalistic": True}),
    pytest.param("Large", {"minimalistic": True}, marks=pytest.mark.slow),
    ("Large", {"alpha": 1.25, "include_preprocessing": False, "dropout_rate": 0.0, "classes": 10,
               "classifier_activation": "linear"}),
])
def test_mobilenetv3(size: str, options: dict) -> None:
    ref = getattr(keras.applications, f"MobileNetV3{size}")(weights=None, input_shape=(64, 64, 3), **options)
    built = spec(V3[size], input_shape=[64, 64, 3], **options)
    same_arithmetic(ref, built)
    check_application(f"keras_applications/mobilenetv3-{size}-{options}", ref, built)


@pytest.mark.parametrize("pooling", ["avg", "max", pytest.param(None, marks=pytest.mark.slow)])
def test_mobilenetv3_without_top(pooling: str | None) -> None:
    ref = keras.applications.MobileNetV3Small(weights=None, include_top=False, pooling=pooling, input_shape=(64, 64, 3))
    built = spec(V3["Small"], include_top=False, pooling=pooling, input_shape=[64, 64, 3])
    check_application(f"keras_applications/mobilenetv3-notop-{pooling}", ref, built)


def test_mobilenetv3_pads_odd_feature_maps_as_keras_does() -> None:
    """At 75x67 the strided blocks see odd and even sizes, with 3x3 and 5x5 kernels: the spec's correct_pad gives
    Keras's padding for each."""
    ref = keras.applications.MobileNetV3Large(weights=None, input_shape=(75, 67, 3))
    built = spec(V3["Large"], input_shape=[75, 67, 3])
    pads = {layer.name: layer.get_config()["padding"] for layer in built.layers if layer.name.endswith("_pad")}
    assert pads == {layer.name: layer.get_config()["padding"] for layer in ref.layers if layer.name.endswith("_pad")}
    assert len({str(p) for p in pads.values()}) >= 3
    check_application("keras_applications/mobilenetv3-75x67", ref, built)


def test_mobilenetv3_with_unknown_rows_and_columns() -> None:
    ref = keras.applications.MobileNetV3Small(weights=None, include_top=False, pooling="avg",
                                              input_shape=(None, None, 3))
    built = spec(V3["Small"], include_top=False, pooling="avg", input_shape=[None, None, 3])
    check_unknown_rows_and_columns(ref, built, 576)


LOAD_AND_PREDICT = """
import sys
import numpy as np
import keras
model = keras.models.load_model(sys.argv[1])
x = np.load(sys.argv[2])
np.save(sys.argv[3], np.asarray(model(x, training=False)))
print(len(model.layers), model.count_params())
"""


def assert_loads_in_a_fresh_process(built: keras.Model, tmp_path: Path, x: np.ndarray, timeout: int = 300) -> None:
    """Saves ``built`` as ``.keras``; a new Python process without archc (``LOAD_AND_PREDICT``) loads it and must
    predict on ``x`` what ``built`` predicts, with the same layer and parameter counts."""
    import subprocess
    import sys

    built.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    run = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, str(tmp_path / "m.keras"), str(tmp_path / "x.npy"),
                          str(tmp_path / "y.npy")], capture_output=True, text=True, timeout=timeout,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split()[-2:] == [str(len(built.layers)), str(built.count_params())]
    assert float(np.max(np.abs(np.load(tmp_path / "y.npy") - np.asarray(built(x, training=False))))) <= ATOL


def test_mobilenetv3_keras_file_loads_in_a_fresh_process(tmp_path: Path) -> None:
    """The saved model holds the hard sigmoid's arithmetic as Keras's own operations: a new Python process with
    no archc imported loads it and predicts what the built model predicts."""
    built = spec(V3["Small"], input_shape=[64, 64, 3])
    randomize(built)
    assert_loads_in_a_fresh_process(built, tmp_path, np.random.default_rng(2).normal(size=(2, 64, 64, 3)).astype(
        "float32"))


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: InceptionResNetV2 (keras.applications' own CustomScaleLayer)
# ---------------------------------------------------------------------------------------------------------------

def test_inception_resnet_v2_at_75x75() -> None:
    """75x75 is the smallest input keras.applications allows."""
    ref = keras.applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3))
    built = spec("keras_applications/inception_resnet_v2.yaml", input_shape=[75, 75, 3])
    assert sum(type(layer).__name__ == "CustomScaleLayer" for layer in built.layers) == 40
    check_application("keras_applications/inception_resnet_v2", ref, built)


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max", None])
def test_inception_resnet_v2_without_top(pooling: str | None) -> None:
    ref = keras.applications.InceptionResNetV2(weights=None, include_top=False, pooling=pooling,
                                               input_shape=(75, 75, 3))
    built = spec("keras_applications/inception_resnet_v2.yaml", include_top=False, pooling=pooling,
                 input_shape=[75, 75, 3])
    check_application(f"keras_applications/inception_resnet_v2-notop-{pooling}", ref, built)


@pytest.mark.slow
def test_inception_resnet_v2_keras_file_loads_in_a_fresh_process(tmp_path: Path) -> None:
    """CustomScaleLayer is keras.applications' class: a new process without archc loads the saved model."""
    built = spec("keras_applications/inception_resnet_v2.yaml", input_shape=[75, 75, 3], classes=10)
    randomize(built)
    assert_loads_in_a_fresh_process(built, tmp_path, np.random.default_rng(2).normal(size=(2, 75, 75, 3)).astype(
        "float32"), timeout=600)


LAYER_SCALE_SPEC = """
archspec: 1
name: scaled
model:
  inputs:
    image: {shape: [8, 8, 3]}
  layers:
    - Conv2D: {filters: 6, kernel_size: 3, padding: same, name: conv}
    - LayerNormalization: {epsilon: 1.0e-6, name: norm}
    - LayerScale: {init_values: 0.5, projection_dim: 6, name: scale}
"""


def test_layer_scale_is_convnexts_class_with_its_weights(tmp_path: Path) -> None:
    """LayerScale is keras.applications' ConvNeXt class: the same gamma (trainable, init_values), the same output
    on copied weights, and a .keras file a new process without archc loads."""
    from keras.src.applications.convnext import LayerScale
    from archcompiler.pipeline import compile_text

    built = compile_text(LAYER_SCALE_SPEC, "scaled.yaml").to_keras(compile=False)
    assert type(built.get_layer("scale")) is LayerScale
    assert [np.asarray(w).tolist() for w in built.get_layer("scale").weights] == [[0.5] * 6]
    inp = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(6, 3, padding="same", name="conv")(inp)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm")(x)
    ref = keras.Model(inp, LayerScale(0.5, 6, name="scale")(x))
    check("layer_scale", ref, built, copy_by_name)
    assert kerasutil.split_params(built) == kerasutil.split_params(ref) == (6 * 27 + 6 + 12 + 6, 0)
    assert_loads_in_a_fresh_process(built, tmp_path, np.random.default_rng(2).normal(size=(2, 8, 8, 3)).astype(
        "float32"))


# ---------------------------------------------------------------------------------------------------------------
# keras.applications: ConvNeXt Tiny ... XLarge (convnext.yaml; the others extend it with their depths and widths)
# ---------------------------------------------------------------------------------------------------------------

CONVNEXT = {"Tiny": "convnext", "Small": "convnext_small", "Base": "convnext_base", "Large": "convnext_large",
            "XLarge": "convnext_xlarge"}


def same_residual_adds(ref: keras.Model, built: keras.Model) -> None:
    """Each block's residual `inputs + x` is an operation of the graph (class Add), not a layer, as in Keras."""
    def arithmetic(model: keras.Model) -> list[str]:
        return [type(op).__name__ for op in model.operations if not isinstance(op, keras.layers.Layer)]
    assert arithmetic(built) == arithmetic(ref)


def inner_layers(model: keras.Model) -> dict[str, list[tuple[str, str]]]:
    return {layer.name: [(inner.name, type(inner).__name__) for inner in layer.layers]
            for layer in model.layers if isinstance(layer, keras.Sequential)}


def convnext(variant: str, **options: Any) -> tuple[keras.Model, keras.Model]:
    ref = getattr(keras.applications, f"ConvNeXt{variant}")(weights=None, input_shape=(32, 32, 3), **options)
    built = spec(f"keras_applications/{CONVNEXT[variant]}.yaml", input_shape=[32, 32, 3], **options)
    same_residual_adds(ref, built)
    assert inner_layers(built) == inner_layers(ref) and len(inner_layers(ref)) == 4
    return ref, built


def test_convnext_tiny_at_32x32() -> None:
    """The stem and the three downsampling blocks are keras.Sequential layers with Keras's inner layers; 32x32
    is the smallest input keras.applications allows (the last stage runs at 1x1)."""
    ref, built = convnext("Tiny")
    assert len(built.layers) == len(ref.layers) == 135
    check_application("keras_applications/convnext", ref, built)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["Small", "Base", "Large", "XLarge"])
def test_convnext_small_to_xlarge_at_32x32(variant: str) -> None:
    ref, built = convnext(variant)
    assert len(built.layers) == len(ref.layers) == 261
    check_application(f"keras_applications/{CONVNEXT[variant]}", ref, built)


@pytest.mark.parametrize("pooling", ["avg", pytest.param("max", marks=pytest.mark.slow),
                                     pytest.param(None, marks=pytest.mark.slow)])
def test_convnext_without_top(pooling: str | None) -> None:
    ref, built = convnext("Tiny", include_top=False, pooling=pooling)
    check_application(f"keras_applications/convnext-notop-{pooling}", ref, built)


def test_convnext_with_stochastic_depth_and_its_options() -> None:
    """drop_path_rate > 0 gives keras.applications' StochasticDepth layers (the first block keeps its identity, at
    rate 0) with Keras's linearly rising rates; at inference they pass their input, so the predictions agree too.
    Also: no preprocessing, no layer scale, another head."""
    from keras.src.applications.convnext import ConvNeXt

    options = dict(depths=[1, 2, 2, 1], projection_dims=[8, 16, 24, 32], drop_path_rate=0.3,
                   layer_scale_init_value=None, include_preprocessing=False, classes=7, classifier_activation=None)
    ref = ConvNeXt(**options, weights=None, input_shape=(32, 32, 3), name="convnext_custom")
    options = {**options, "classifier_activation": "linear"}
    built = spec("keras_applications/convnext.yaml", input_shape=[32, 32, 3], model_name="convnext_custom", **options)

    def rates(model: keras.Model) -> dict[str, float]:
        return {layer.name: layer.get_config()["drop_path_rate"] for layer in model.layers
                if type(layer).__name__ == "StochasticDepth"}
    assert rates(built) == pytest.approx(rates(ref)) and len(rates(ref)) == 5
    assert built.get_layer("convnext_custom_stage_0_block_0_identity")
    same_residual_adds(ref, built)
    check_application("keras_applications/convnext-custom", ref, built)


@pytest.mark.slow
def test_convnext_keras_file_loads_in_a_fresh_process(tmp_path: Path) -> None:
    """The Sequential sub-models, LayerScale and StochasticDepth (keras.applications' classes) survive a .keras
    file: a new process without archc loads it and predicts the same."""
    built = spec("keras_applications/convnext.yaml", input_shape=[32, 32, 3], depths=[1, 1, 1, 1],
                 projection_dims=[8, 16, 24, 32], drop_path_rate=0.2, classes=5)
    assert len({type(layer).__name__ for layer in built.layers} & {"Sequential", "LayerScale", "StochasticDepth"}) == 3
    assert_loads_in_a_fresh_process(built, tmp_path, np.random.default_rng(3).normal(size=(2, 32, 32, 3)).astype(
        "float32") * 50)
