"""Coordination: one representation per modality, tied together by a similarity.

Similarities and kernels (:mod:`.similarity`), linear CCA (:class:`CCA`), the Deep CCA objective
(:func:`deep_cca_terms`), contrastive losses (:func:`infonce_terms`, :func:`max_margin_terms`)
with a model-owned temperature (:class:`LogitScale`), two-tower and gated models trained by
:class:`~polymodal.coordination.module.CoordinationModule`, retrieval (:func:`retrieve`) and
zero-shot classification (:func:`class_prototypes`, :func:`zero_shot_predict`);
:func:`~polymodal.coordination.run.coordinate` runs and evaluates a method end to end.
"""

from polymodal.coordination.cca import CCA
from polymodal.coordination.config import CoordinationConfig, build_coordinated_model, load_coordinated_model
from polymodal.coordination.contrastive import InfoNCELoss, LogitScale, MaxMarginLoss, infonce_terms, max_margin_terms
from polymodal.coordination.deep_cca_loss import DeepCCALoss, deep_cca_terms
from polymodal.coordination.gated import GatedCoordination
from polymodal.coordination.gather import gather_with_local_grad
from polymodal.coordination.retrieval import class_recall_at_k, retrieve
from polymodal.coordination.similarity import SIMILARITIES, Similarity, make_similarity
from polymodal.coordination.towers import Tower, TwoTowerModel
from polymodal.coordination.zero_shot import class_prototypes, zero_shot_predict

__all__ = [
    "CCA", "CoordinationConfig", "DeepCCALoss", "GatedCoordination", "InfoNCELoss", "LogitScale", "MaxMarginLoss",
    "SIMILARITIES", "Similarity", "Tower", "TwoTowerModel", "build_coordinated_model", "class_prototypes",
    "class_recall_at_k", "deep_cca_terms", "gather_with_local_grad", "infonce_terms", "load_coordinated_model",
    "make_similarity", "max_margin_terms", "retrieve", "zero_shot_predict",
]
