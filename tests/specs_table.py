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
    "specs/unet.yaml": (483874, 482466, 1408, 53),
    "specs/cnn3d.yaml": (17852, 17740, 112, 16),
    "specs/normalized_cnn.yaml": (94769, 94762, 7, 24),
    "specs/se_resnet.yaml": (182034, 180914, 1120, 82),
    "specs/keras_applications/resnet50.yaml": (25636712, 25583592, 53120, 177),
    "specs/keras_applications/resnet101.yaml": (44707176, 44601832, 105344, 347),
    "specs/keras_applications/resnet152.yaml": (60419944, 60268520, 151424, 517),
    "specs/keras_applications/resnet50v2.yaml": (25613800, 25568360, 45440, 192),
    "specs/keras_applications/densenet.yaml": (8062504, 7978856, 83648, 429),
    "specs/keras_applications/densenet169.yaml": (14307880, 14149480, 158400, 597),
    "specs/keras_applications/densenet201.yaml": (20242984, 20013928, 229056, 709),
    "specs/keras_applications/mobilenet.yaml": (4253864, 4231976, 21888, 91),
    "specs/keras_applications/mobilenetv2.yaml": (3538984, 3504872, 34112, 156),
    "specs/keras_applications/inception_resnet_v2.yaml": (55873736, 55813192, 60544, 782),
    "specs/keras_applications/mobilenetv3.yaml": (2554968, 2542856, 12112, 164),
    "specs/keras_applications/mobilenetv3large.yaml": (5507432, 5483032, 24400, 194),
}

#: FLOPs TensorFlow's profiler reports on a batch of one (the reference file's figures).
PROFILER_FLOPS = {
    "specs/keras_applications/resnet50.yaml": 7_755_299_312,
    "specs/vgg16.yaml": 30_960_211_824,
}

#: Variants of a bundled spec reached by parameters (spec, overrides) and what keras.applications builds for them
#: (weights=None, 224x224x3): total, trainable and non-trainable parameters, and the number of Keras layers.
VARIANTS = [
    ("specs/keras_applications/mobilenet.yaml", {"alpha": 0.25}, (475544, 470072, 5472, 91)),
    ("specs/keras_applications/mobilenet.yaml", {"alpha": 0.5}, (1342536, 1331592, 10944, 91)),
    ("specs/keras_applications/mobilenet.yaml", {"alpha": 0.75}, (2601976, 2585560, 16416, 91)),
    ("specs/keras_applications/mobilenet.yaml", {"alpha": 1.0, "depth_multiplier": 2}, (7457928, 7426120, 31808, 91)),
    ("specs/keras_applications/mobilenetv2.yaml", {"alpha": 0.35}, (1691208, 1677128, 14080, 156)),
    ("specs/keras_applications/mobilenetv2.yaml", {"alpha": 0.5}, (1987224, 1968680, 18544, 156)),
    ("specs/keras_applications/mobilenetv2.yaml", {"alpha": 0.75}, (2663064, 2636424, 26640, 156)),
    ("specs/keras_applications/mobilenetv2.yaml", {"alpha": 1.3}, (5431048, 5386792, 44256, 156)),
    ("specs/keras_applications/mobilenetv2.yaml", {"alpha": 1.4}, (6156712, 6108776, 47936, 156)),
    ("specs/keras_applications/mobilenetv3.yaml", {"alpha": 0.75}, (2051552, 2041872, 9680, 164)),
    ("specs/keras_applications/mobilenetv3.yaml", {"minimalistic": True}, (2056848, 2044736, 12112, 110)),
    ("specs/keras_applications/mobilenetv3.yaml", {"alpha": 1.5}, (4950432, 4931888, 18544, 164)),
    ("specs/keras_applications/mobilenetv3large.yaml", {"alpha": 0.75}, (4012616, 3993528, 19088, 194)),
    ("specs/keras_applications/mobilenetv3large.yaml", {"minimalistic": True}, (3948688, 3924288, 24400, 146)),
    ("specs/keras_applications/mobilenetv3large.yaml",
     {"alpha": 1.25, "include_preprocessing": False, "dropout_rate": 0.0}, (8286760, 8255784, 30976, 191)),
]
