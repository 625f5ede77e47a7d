"""Heterogeneity: how different modalities are, measured by transfer (HighMMT), and grouped.

- :mod:`.v_information`: pointwise V-information, the score.
- :mod:`.transfer`: the shared-trunk model, its budget, the scratch and transfer runs.
- :mod:`.measure`: modality and interaction heterogeneity matrices.
- :mod:`.grouping`: symmetrising and hierarchical clustering into groups.
- :mod:`.plot`, :mod:`.run`: the heatmap with its dendrogram, and the run folder of ``polymodal heterogeneity``.

The groups feed heterogeneity-aware fusion (:mod:`polymodal.models.heterogeneity_aware`).
"""

from polymodal.heterogeneity.grouping import format_groups, group_modalities, largest_gap_groups, symmetrize
from polymodal.heterogeneity.measure import (
    HeterogeneityResult,
    interaction_heterogeneity,
    measure_views,
    modality_heterogeneity,
)
from polymodal.heterogeneity.run import load_groups, run_heterogeneity
from polymodal.heterogeneity.transfer import HeterogeneitySettings, TransferModel
from polymodal.heterogeneity.v_information import null_log_probs, pointwise_v_information, v_information

__all__ = [
    "HeterogeneityResult", "HeterogeneitySettings", "TransferModel", "format_groups", "group_modalities", "interaction_heterogeneity",
    "largest_gap_groups", "load_groups", "measure_views", "modality_heterogeneity", "null_log_probs",
    "pointwise_v_information", "run_heterogeneity", "symmetrize", "v_information",
]
