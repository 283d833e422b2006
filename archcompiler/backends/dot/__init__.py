"""Architecture diagrams: Graphviz DOT text written by archc, rendered to SVG, PNG or PDF by Graphviz's ``dot``.

Two levels of detail, both drawn from the IR graph and its block instances:

* ``block`` (the default): one box per block instance (its block, instance name, output shape, parameters, FLOPs
  and the kind of shortcut or merge it contains), plus the inputs, the top-level layers and the outputs.
  ``depth`` opens nested blocks: at depth N the blocks of nesting level N (and any block without sub-blocks above
  it) are boxes, the blocks above them are drawn as clusters around their parts. Default 1.
* ``layer``: one box per layer (type, key arguments, name, output shape, parameters), coloured by layer family;
  block instances are nested clusters labelled with their totals. ``depth`` limits the cluster levels: blocks at
  nesting level N + 1 collapse into a single box. Default: all levels.

``fold`` draws consecutive, chained instances of one block with the same output shape and the same counts as one
``xN`` box. Edges follow the data: an edge from box A to box B when a layer in B reads a layer in A; an identity or
projection shortcut into an Add is blue. Long chains are wrapped into several columns (rows with ``rankdir=LR``),
cut where every edge that crosses joins the two neighbouring units, preferably at a stage boundary, so that a
ResNet-152 fits a screen; at block level a dashed edge continues the chain in the next column, at layer level a
``→ name`` stub at the end of a column continues at a ``from …`` stub at the start of the next.

The modules, in the order the work is done:

* :mod:`.view`: what is drawn (boxes, clusters, edges, folding, depth) and which edges are shortcuts;
* :mod:`.layout`: where it goes (the straight main line, columns, continuation stubs); :func:`plan`;
* :mod:`.labels`: what each box says (a layer's detail comes from the ``label`` rule of its registry entry);
* :mod:`.style`: colours and fonts;
* :mod:`.emit`: the DOT text (:func:`to_dot`);
* :mod:`.rendering`: Graphviz to svg/png/pdf, and files (:func:`render`, :func:`render_file`).

The DOT text is deterministic: node ids are IR layer names and block scopes, the order follows the graph, nothing
depends on hashing or object identity. Rendering needs the ``graphviz`` Python package and the ``dot`` program;
``fmt="dot"`` needs neither.
"""

from __future__ import annotations

from .emit import RANKDIRS, quote, to_dot
from .labels import Html, layer_detail, shape_text
from .layout import plan, spine
from .rendering import FORMATS, GraphvizMissing, missing_dot_message, pipe, render, render_file
from .style import BLOCK_COLORS, FAMILIES
from .view import LEVELS, Cluster, Depth, Link, Shortcut, Unit, View, shortcuts

__all__ = [
    "BLOCK_COLORS", "FAMILIES", "FORMATS", "LEVELS", "RANKDIRS", "Cluster", "Depth", "GraphvizMissing", "Html",
    "Link", "Shortcut", "Unit", "View", "layer_detail", "missing_dot_message", "pipe", "plan", "quote", "render",
    "render_file", "shape_text", "shortcuts", "spine", "to_dot",
]
