"""Perturbations per modality kind: pure functions of (batch, level p in [0, 1], generator); p = 0 is the identity."""

from polymodal.robustness.perturbations.base import Perturbation, PerturbContext, check_level
from polymodal.robustness.perturbations.registry import DEFAULT_PERTURBATION, PERTURBATIONS, get_perturbation

__all__ = ["DEFAULT_PERTURBATION", "PERTURBATIONS", "PerturbContext", "Perturbation", "check_level", "get_perturbation"]
