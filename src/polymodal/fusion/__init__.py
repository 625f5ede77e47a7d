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
from polymodal.fusion.cross_modal_transformer import CrossModalTransformerFusion
from polymodal.fusion.dynamic import DynamicFusion
from polymodal.fusion.gated import GatedFusion
from polymodal.fusion.mixture import MixtureOfFusions
from polymodal.fusion.modality_shift import ModalityShiftingFusion
from polymodal.fusion.nonlinear import NonlinearFusion
from polymodal.fusion.polynomial import PolynomialFusion
from polymodal.fusion.transformer import TransformerFusion
from polymodal.fusion.registry import FUSIONS, READS_TOKENS, fusion_names, make_fusion

__all__ = [
    "AdditiveFusion", "BilinearFusion", "ConcatFusion", "CrossModalTransformerFusion", "DynamicFusion", "FUSIONS",
    "Fusion", "GatedFusion", "LateFusion", "LowRankFusion", "MixtureOfFusions", "ModalityShiftingFusion",
    "MultiplicativeFusion", "NonlinearFusion", "PolynomialFusion", "READS_TOKENS", "TensorFusion",
    "TransformerFusion", "fusion_names", "make_fusion",
]
