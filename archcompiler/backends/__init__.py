"""Backends: what a Compilation becomes (summary text/JSON/Markdown, Graphviz DOT, a Keras model)."""
