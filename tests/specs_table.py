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
    "specs/two_tower_multitask.yaml": (12619, 12555, 64, 15),
    "specs/transformer_text_classifier.yaml": (199170, 199170, 0, 22),
    "specs/lstm_sequence_model.yaml": (30821, 30821, 0, 8),
    "specs/keras_applications/resnet50.yaml": (25636712, 25583592, 53120, 177),
    "specs/keras_applications/resnet101.yaml": (44707176, 44601832, 105344, 347),
    "specs/keras_applications/resnet152.yaml": (60419944, 60268520, 151424, 517),
    "specs/keras_applications/resnet50v2.yaml": (25613800, 25568360, 45440, 192),
    "specs/keras_applications/densenet.yaml": (8062504, 7978856, 83648, 429),
    "specs/keras_applications/densenet169.yaml": (14307880, 14149480, 158400, 597),
    "specs/keras_applications/densenet201.yaml": (20242984, 20013928, 229056, 709),
    "specs/keras_applications/mobilenet.yaml": (4253864, 4231976, 21888, 91),
    "specs/keras_applications/mobilenetv2.yaml": (3538984, 3504872, 34112, 156),
    "specs/keras_applications/inception_v3.yaml": (23851784, 23817352, 34432, 313),
    "specs/keras_applications/xception.yaml": (22910480, 22855952, 54528, 134),
    "specs/keras_applications/nasnet.yaml": (5326716, 5289978, 36738, 771),
    "specs/keras_applications/nasnet_large.yaml": (88949818, 88753150, 196668, 1041),
    "specs/keras_applications/efficientnet.yaml": (5330571, 5288548, 42023, 240),
    "specs/keras_applications/efficientnetb1.yaml": (7856239, 7794184, 62055, 342),
    "specs/keras_applications/efficientnetb2.yaml": (9177569, 9109994, 67575, 342),
    "specs/keras_applications/efficientnetb3.yaml": (12320535, 12233232, 87303, 387),
    "specs/keras_applications/efficientnetb4.yaml": (19466823, 19341616, 125207, 477),
    "specs/keras_applications/efficientnetb5.yaml": (30562527, 30389784, 172743, 579),
    "specs/keras_applications/efficientnetb6.yaml": (43265143, 43040704, 224439, 669),
    "specs/keras_applications/efficientnetb7.yaml": (66658687, 66347960, 310727, 816),
    "specs/keras_applications/efficientnetv2.yaml": (7200312, 7139704, 60608, 273),
    "specs/keras_applications/efficientnetv2b1.yaml": (8212124, 8141052, 71072, 337),
    "specs/keras_applications/efficientnetv2b2.yaml": (10178374, 10096086, 82288, 352),
    "specs/keras_applications/efficientnetv2b3.yaml": (14467622, 14358406, 109216, 412),
    "specs/keras_applications/efficientnetv2s.yaml": (21612360, 21458488, 153872, 516),
    "specs/keras_applications/efficientnetv2m.yaml": (54431388, 54139356, 292032, 743),
    "specs/keras_applications/efficientnetv2l.yaml": (119027848, 118515272, 512576, 1031),
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
]
