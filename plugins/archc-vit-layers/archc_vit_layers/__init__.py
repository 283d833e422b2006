"""archc-vit-layers: ClassToken and AddPositionEmbedding for archc specs.

Importing the package imports nothing else: archc reads ``archc_vit_layers.archc`` (no Keras) through its entry
point, and the Keras backend imports ``archc_vit_layers.keras_layers`` (Keras) when it builds a model.
"""

__version__ = "0.1.0"
