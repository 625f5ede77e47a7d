"""polymodal: multimodal representation learning (fusion, coordination, fission).

The package is organised by the taxonomy of the field:

- :mod:`polymodal.data`: multimodal data sets as dicts of named modalities.
- :mod:`polymodal.fusion`: one representation from several modalities.
- :mod:`polymodal.models`: encoders and :class:`~polymodal.models.MultimodalModel`.
- :mod:`polymodal.training`: one Lightning training pipeline for every model.
- :mod:`polymodal.bench`: train and compare methods, write reports.
"""

from polymodal.errors import PolymodalError

__version__ = "0.1.0"

__all__ = ["PolymodalError", "__version__"]
