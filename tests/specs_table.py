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
    "specs/transformer_text_classifier.yaml": (199170, 199170, 0, 22),
    "specs/lstm_sequence_model.yaml": (30821, 30821, 0, 8),
    "specs/keras_applications/resnet50.yaml": (25636712, 25583592, 53120, 177),
    "specs/keras_applications/resnet101.yaml": (44707176, 44601832, 105344, 347),
    "specs/keras_applications/resnet152.yaml": (60419944, 60268520, 151424, 517),
    "specs/keras_applications/resnet50v2.yaml": (25613800, 25568360, 45440, 192),
}

#: FLOPs TensorFlow's profiler reports on a batch of one (the reference file's figures).
PROFILER_FLOPS = {
    "specs/keras_applications/resnet50.yaml": 7_755_299_312,
    "specs/vgg16.yaml": 30_960_211_824,
}
