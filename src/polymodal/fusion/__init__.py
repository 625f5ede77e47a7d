"""Fusion: one representation from several modalities.

Every fusion maps a dict ``{name: (B, d_m)}`` to one tensor ``(B, output_dim)`` and declares
``output_dim``; see :class:`~polymodal.fusion.base.Fusion`.
"""

from polymodal.fusion.additive import AdditiveFusion
from polymodal.fusion.base import Fusion
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.late import LateFusion
from polymodal.fusion.registry import FUSIONS, fusion_names, make_fusion

__all__ = ["AdditiveFusion", "ConcatFusion", "FUSIONS", "Fusion", "LateFusion", "fusion_names", "make_fusion"]
