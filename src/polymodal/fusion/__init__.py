"""Fusion: one representation from several modalities.

Every fusion maps a dict ``{name: (B, d_m)}`` to one tensor ``(B, output_dim)`` and declares
``output_dim``; see :class:`~polymodal.fusion.base.Fusion`.
"""

from polymodal.fusion.additive import AdditiveFusion
from polymodal.fusion.base import Fusion
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.bilinear import BilinearFusion
from polymodal.fusion.late import LateFusion
from polymodal.fusion.low_rank import LowRankFusion
from polymodal.fusion.multiplicative import MultiplicativeFusion
from polymodal.fusion.tensor import TensorFusion
from polymodal.fusion.registry import FUSIONS, fusion_names, make_fusion

__all__ = [
    "AdditiveFusion", "BilinearFusion", "ConcatFusion", "FUSIONS", "Fusion", "LateFusion", "LowRankFusion",
    "MultiplicativeFusion", "TensorFusion", "fusion_names", "make_fusion",
]
