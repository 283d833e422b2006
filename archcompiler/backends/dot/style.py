"""The look of a diagram: colours of layer families and blocks, cluster shades, fonts, edge colours.

Shared by :mod:`.labels` (the legend in the title) and :mod:`.emit` (the boxes, clusters and edges).
"""

from __future__ import annotations

#: Layer families in legend order: (label, fill colour, border colour).
FAMILIES: dict[str, tuple[str, str, str]] = {
    "input": ("input", "#d0e0e3", "#45818e"),
    "conv": ("convolution", "#cfe2f3", "#3d85c6"),
    "norm": ("normalization", "#fff2cc", "#bf9000"),
    "activation": ("activation", "#d9ead3", "#6aa84f"),
    "pooling": ("pooling", "#fce5cd", "#e69138"),
    "merge": ("merge", "#ead1dc", "#a64d79"),
    "dense": ("dense", "#f4cccc", "#cc4125"),
    "recurrent": ("recurrent", "#d0e7f7", "#1f6f9f"),
    "attention": ("attention", "#f9d9f0", "#9c2f7f"),
    "reshape": ("reshape", "#eeeeee", "#888888"),
    "regularization": ("regularization", "#d9d2e9", "#674ea7"),
    "other": ("other", "#ffffff", "#888888"),
}

#: Fill and border colours of block boxes, given to block names in order of first appearance. Blocks are told
#: apart by a strong border on a faint tint, layers by their pastel fill, so the two legends do not overlap.
BLOCK_COLORS: tuple[tuple[str, str], ...] = (
    ("#f3f6fc", "#3c5a99"), ("#f4f9f0", "#4f7f33"), ("#fdf6ec", "#b06d0a"), ("#f7f1fa", "#70479a"),
    ("#eef8f8", "#217a7a"), ("#fbf0f0", "#a33b3b"), ("#f7f7ea", "#7a7a24"), ("#f2f2f2", "#555555"),
)

#: Background shades of nested clusters, outermost first (cycled).
CLUSTER_FILLS = ("#f5f7fa", "#eaeef4", "#dfe5ee")

FONT = "Helvetica,Arial,sans-serif"
EDGE_COLOR = "#555555"
SKIP_COLOR = "#3d6fb6"
#: Edges and stubs that continue the chain in the next column.
CONTINUE_COLOR = "#8a8a8a"
