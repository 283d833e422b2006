"""The reference figures every bundled spec must reproduce (Keras 3.15 / TensorFlow 2.21 report them for the
reference networks): total, trainable and non-trainable parameters, and the number of Keras layers."""

REFERENCE = {
    "specs/happy_model.yaml": (37633, 37569, 64, 8),
    "specs/happy_model.json": (37633, 37569, 64, 8),
    "specs/resnet50_signs.yaml": (23600006, 23546886, 53120, 177),
    "specs/resnet18.yaml": (11186186, 11178378, 7808, 66),
    "specs/resnet34.yaml": (21305482, 21290250, 15232, 122),
    "specs/preact_resnet_cifar.yaml": (2164950, 2151376, 13574, 142),
    "specs/vgg16.yaml": (138357544, 138357544, 0, 23),
    "specs/vgg19.yaml": (143667240, 143667240, 0, 26),
    "specs/squeezenet.yaml": (1235496, 1235496, 0, 67),
    "specs/linear_regression.yaml": (2, 2, 0, 2),
    "specs/keras_applications/resnet50.yaml": (25636712, 25583592, 53120, 177),
    "specs/keras_applications/resnet101.yaml": (44707176, 44601832, 105344, 347),
    "specs/keras_applications/resnet152.yaml": (60419944, 60268520, 151424, 517),
    "specs/keras_applications/resnet50v2.yaml": (25613800, 25568360, 45440, 192),
    "specs/keras_applications/inception_v3.yaml": (23851784, 23817352, 34432, 313),
    "specs/keras_applications/xception.yaml": (22910480, 22855952, 54528, 134),
    "specs/keras_applications/nasnet.yaml": (5326716, 5289978, 36738, 771),
    "specs/keras_applications/nasnet_large.yaml": (88949818, 88753150, 196668, 1041),
}

#: FLOPs TensorFlow's profiler reports on a batch of one (the reference file's figures).
PROFILER_FLOPS = {
    "specs/keras_applications/resnet50.yaml": 7_755_299_312,
    "specs/vgg16.yaml": 30_960_211_824,
    "specs/keras_applications/inception_v3.yaml": 11_468_989_680,
    "specs/keras_applications/xception.yaml": 16_773_724_144,
    "specs/keras_applications/nasnet.yaml": 1_147_877_052,
    "specs/keras_applications/nasnet_large.yaml": 47_801_959_902,
}
