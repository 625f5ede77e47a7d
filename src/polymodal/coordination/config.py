"""What a coordinated model is and how it is trained, as a JSON-ready configuration.

Checkpoints store this configuration next to the weights, so a model is rebuilt without the
script that trained it (:func:`load_coordinated_model`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import torch

from polymodal.coordination.gated import GatedCoordination
from polymodal.coordination.similarity import make_similarity
from polymodal.coordination.towers import Decoder, Tower, TwoTowerModel
from polymodal.data.dataset import ModalitySpec, MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.models.build import DROPOUT, EMBED_DIM, HIDDEN_DIM
from polymodal.models.encoders import make_encoder

#: Methods trained by gradient descent (linear ``cca`` is fitted in closed form).
TrainedMethod = Literal["dcca", "dccae", "contrastive"]
Objective = Literal["infonce", "max-margin"]
TRAINED_METHODS = get_args(TrainedMethod)
METHODS = ("cca", *TRAINED_METHODS)
OBJECTIVES = get_args(Objective)


@dataclass
class CoordinationConfig:
    """Everything needed to rebuild and train a coordinated model of two modalities.

    Attributes:
        modalities: ``[{"name", "kind", "shape"}]`` of the two modalities.
        method: ``"dcca"`` (Deep CCA), ``"dccae"`` (Deep CCA + autoencoders) or ``"contrastive"``.
        out_dim: size of the coordinated representations ``o``.
        embed_dim, hidden_dim, dropout: encoder sizes, with the defaults of
            :class:`~polymodal.models.build.ModelConfig` (one set for every model family).
        k: Deep CCA sums the top ``k`` singular values (``None``: all of them).
        r1, r2: Deep CCA covariance ridges.
        reconstruction_weight: DCCAE's ``lambda`` on the mean squared reconstruction errors.
        objective: contrastive loss, ``"infonce"`` (CLIP) or ``"max-margin"``.
        similarity, similarity_options: the similarity tying the representations (contrastive).
        margin: the max-margin ``alpha``.
        initial_temperature: initial ``tau`` of the learnable temperature (InfoNCE).
        gated: gate each representation by both modalities (:class:`GatedCoordination`).
    """

    modalities: list[dict[str, Any]]
    method: TrainedMethod = "contrastive"
    out_dim: int = 32
    embed_dim: int = EMBED_DIM
    hidden_dim: int = HIDDEN_DIM
    dropout: float = DROPOUT
    k: int | None = None
    r1: float = 1e-3
    r2: float = 1e-3
    reconstruction_weight: float = 1.0
    objective: Objective = "infonce"
    similarity: str = "cosine"
    similarity_options: dict[str, Any] = field(default_factory=dict)
    margin: float = 0.2
    initial_temperature: float = 0.07
    gated: bool = False

    def __post_init__(self) -> None:
        if self.method not in TRAINED_METHODS:
            raise ConfigError(f"method {self.method!r} is not a trained coordination; choose one of {', '.join(TRAINED_METHODS)}")
        if len(self.modalities) != 2:
            raise ConfigError(f"coordination ties exactly two modalities, got {[m['name'] for m in self.modalities]}; pick two with --modalities a,b")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective {self.objective!r} is unknown; choose one of {', '.join(OBJECTIVES)}")
        if self.out_dim < 1 or (self.k is not None and not 1 <= self.k <= self.out_dim):
            raise ConfigError(f"need out_dim >= 1 and k in [1, out_dim] (or None), got out_dim={self.out_dim}, k={self.k}")
        if self.reconstruction_weight < 0:
            raise ConfigError(f"reconstruction_weight must be non-negative, got {self.reconstruction_weight}")
        make_similarity(self.similarity, **self.similarity_options)  # validates the name and options

    @classmethod
    def for_dataset(cls, dataset: MultimodalDataset, method: str, modalities: list[str] | None = None, **kwargs: Any) -> "CoordinationConfig":
        """A configuration for two modalities of ``dataset`` (its first two if not given)."""
        names = modalities or list(dataset.modalities)[:2]
        unknown = [n for n in names if n not in dataset.modalities]
        if unknown:
            raise ConfigError(f"modalities {unknown} not in data set {dataset.name!r}; it has {', '.join(dataset.modalities)}")
        specs = [dataset.modalities[n] for n in names]
        return cls(modalities=[s.to_dict() for s in specs], method=method, **kwargs)

    @property
    def names(self) -> list[str]:
        """The two modality names."""
        return [m["name"] for m in self.modalities]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CoordinationConfig":
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


def build_coordinated_model(config: CoordinationConfig) -> TwoTowerModel:
    """Towers (the default encoder of each modality plus a projection to ``out_dim``), gates if
    ``config.gated``, and decoders for DCCAE."""
    specs = [ModalitySpec.from_dict(m) for m in config.modalities]
    towers = {s.name: Tower(make_encoder(s, config.embed_dim, config.hidden_dim, config.dropout), config.embed_dim, config.out_dim)
              for s in specs}
    decoders = {s.name: Decoder(config.out_dim, s.shape, config.hidden_dim) for s in specs} if config.method == "dccae" else None
    if config.gated:
        return GatedCoordination(towers, config.embed_dim, config.out_dim, decoders, config.initial_temperature)
    return TwoTowerModel(towers, decoders, config.initial_temperature)


def load_coordinated_model(path: str | Path, map_location: str | torch.device = "cpu") -> tuple[TwoTowerModel, CoordinationConfig]:
    """Rebuild a trained coordinated model from its checkpoint; returns ``(model in eval mode, config)``."""
    from polymodal.training.checkpoint import read_checkpoint

    data, state = read_checkpoint(path, "coordination_config", map_location)
    config = CoordinationConfig.from_dict(data)
    model = build_coordinated_model(config)
    model.load_state_dict(state)
    return model.eval(), config
