"""Build a :class:`MultimodalModel` from a plain, JSON-ready configuration.

Checkpoints store this configuration next to the weights, so a model can be rebuilt and
loaded without the script that trained it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import math

import torch
from torch import nn

from polymodal.data.dataset import ModalitySpec, MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.registry import READS_TOKENS, make_fusion
from polymodal.models.dynamic import DynamicMultimodalModel, encoder_flops
from polymodal.models.encoders import make_encoder
from polymodal.models.imputer import TranslationImputer
from polymodal.models.missing import blank_input
from polymodal.models.heterogeneity_aware import HETEROGENEITY_AWARE, build_heterogeneity_aware_model, resolve_options
from polymodal.models.multimodal import MultimodalModel
from polymodal.models.tokenizers import make_tokenizer

UNIMODAL = "unimodal"


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model.

    Attributes:
        modalities: ``[{"name", "kind", "shape"}]`` of the modalities the model reads.
        num_classes: number of classes.
        fusion: a fusion name, or ``"unimodal"`` for a one-modality baseline.
        fusion_options: keyword options of the fusion.
        embed_dim: size of every encoder's embedding.
        hidden_dim: size of hidden layers (fused representation, head, MLP encoders).
        dropout: dropout in the head and the MLP encoders.
        missing_token: learn a missing embedding per modality (the ``token`` missing-modality
            strategy; train it with modality dropout).
        imputer: hidden width of a translation network that predicts a modality's embedding
            from the others (the ``impute`` strategy; 0 for linear); ``None`` for none.
        sequence_encoder: encoder of sequence and text modalities, ``"gru"``, ``"cnn"`` or
            ``"transformer"`` (see :mod:`polymodal.models.sequence_encoders`); ``None`` for the
            kind's default (GRU for sequences, Transformer for text).
    """

    modalities: list[dict[str, Any]]
    num_classes: int
    fusion: str = "early"
    fusion_options: dict[str, Any] = field(default_factory=dict)
    embed_dim: int = 64
    hidden_dim: int = 64
    dropout: float = 0.1
    missing_token: bool = False
    imputer: int | None = None
    sequence_encoder: str | None = None

    def __post_init__(self) -> None:
        from polymodal.models.sequence_encoders import SEQUENCE_ENCODERS

        if self.sequence_encoder is not None and self.sequence_encoder not in SEQUENCE_ENCODERS:
            raise ConfigError(f"sequence_encoder: {self.sequence_encoder!r} is unknown; choose from "
                              f"{', '.join(SEQUENCE_ENCODERS)}")

    @classmethod
    def for_dataset(cls, dataset: MultimodalDataset, fusion: str, **kwargs: Any) -> "ModelConfig":
        """A configuration for the modalities of ``dataset``.

        Heterogeneity-aware fusion's ``measured`` groups are read from their file here, so the
        configuration (and a checkpoint made from it) holds the groups themselves.
        """
        mods = [s.to_dict() for s in dataset.modalities.values()]
        if fusion == HETEROGENEITY_AWARE:
            kwargs["fusion_options"] = resolve_options(kwargs.get("fusion_options", {}), list(dataset.modalities))
        return cls(modalities=mods, num_classes=dataset.num_classes, fusion=fusion, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; :meth:`from_dict` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


def named_models() -> list[str]:
    """Models selectable by name beside the fusions (left out of ``--fusions all``): heterogeneity-aware fusion and fission."""
    from polymodal.fission.registry import FISSION_MODELS  # fission models build on this module

    return [HETEROGENEITY_AWARE, *FISSION_MODELS]


def mlp_head(in_dim: int, hidden_dim: int, num_classes: int, dropout: float) -> nn.Sequential:
    """``(B, in_dim) -> (B, num_classes)``: linear, ReLU, dropout, linear."""
    return nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_dim, num_classes))


def build_model(config: ModelConfig) -> MultimodalModel:
    """:func:`build_architecture`, then what a model needs for missing modalities: its input
    shapes, and (if the config asks) learned missing embeddings and an imputer."""
    model = build_architecture(config)
    model.input_shapes = {m["name"]: tuple(m["shape"]) for m in config.modalities}
    model.input_kinds = {m["name"]: m["kind"] for m in config.modalities}
    if config.missing_token or config.imputer is not None:
        shapes = embedding_shapes(model)
        if config.missing_token:
            model.missing_tokens = nn.ParameterDict({m: nn.Parameter(torch.zeros(s)) for m, s in shapes.items()})
        if config.imputer is not None:
            model.imputer = TranslationImputer({m: math.prod(s) for m, s in shapes.items()}, config.imputer)
    return model


@torch.no_grad()
def embedding_shapes(model: MultimodalModel) -> dict[str, tuple[int, ...]]:
    """``{m: shape of one example's embedding}``, from one zero input per encoder (in eval mode)."""
    assert model.input_shapes is not None
    was_training = model.training
    model.eval()
    kinds = model.input_kinds or {}
    like = torch.zeros(())
    shapes = {m: tuple(enc(blank_input(kinds.get(m, "vector"), 1, model.input_shapes[m], like)).shape[1:])
              for m, enc in model.encoders.items()}
    model.train(was_training)
    return shapes


def build_architecture(config: ModelConfig) -> MultimodalModel:
    """Encoders per modality kind, the named fusion, and an MLP head (none after late fusion).

    ``heterogeneity-aware`` is built by :func:`~polymodal.models.heterogeneity_aware.build_heterogeneity_aware_model`.
    The fission models of :data:`~polymodal.fission.registry.FISSION_MODELS` are built by
    :func:`~polymodal.fission.registry.build_fission_model`. Fusions of :data:`~polymodal.fusion.registry.READS_TOKENS` get tokenizers (patches of the raw
    input, see :mod:`polymodal.models.tokenizers`) instead of encoders; dynamic fusion gets a
    :class:`DynamicMultimodalModel` with the cheapest modality's branch and the full branch
    unless ``fusion_options["branches"]`` says otherwise.

    Raises:
        ConfigError: unknown fusion, or ``"unimodal"`` with more than one modality.
    """
    from polymodal.fission.registry import FISSION_MODELS, build_fission_model  # fission models build on this module

    specs = [ModalitySpec.from_dict(m) for m in config.modalities]
    make_head = lambda d: mlp_head(d, config.hidden_dim, config.num_classes, config.dropout)  # noqa: E731
    if config.fusion == HETEROGENEITY_AWARE:
        return build_heterogeneity_aware_model(specs, config.embed_dim, config.hidden_dim, config.dropout, make_head,
                                               config.fusion_options)
    if config.fusion in READS_TOKENS:
        encoders = {s.name: make_tokenizer(s, config.embed_dim) for s in specs}
    else:
        encoders = {s.name: make_encoder(s, config.embed_dim, config.hidden_dim, config.dropout, config.sequence_encoder)
                    for s in specs}
    dims = {s.name: config.embed_dim for s in specs}
    if config.fusion in FISSION_MODELS:
        return build_fission_model(config.fusion, encoders, dims, {s.name: s.shape for s in specs}, config.hidden_dim,
                                   config.num_classes, make_head, config.fusion_options)
    if config.fusion == UNIMODAL:
        if len(specs) != 1:
            raise ConfigError(f"fusion 'unimodal' takes exactly one modality, got {[s.name for s in specs]}")
        fusion = ConcatFusion(dims)
    elif config.fusion == "dynamic":
        flops = {s.name: encoder_flops(encoders[s.name], s.shape) for s in specs}
        cheapest = min(flops, key=flops.__getitem__)
        options = {"branches": [[cheapest], [s.name for s in specs]], **config.fusion_options}
        fusion = make_fusion("dynamic", dims, config.hidden_dim, config.num_classes, **options)
    else:
        fusion = make_fusion(config.fusion, dims, config.hidden_dim, config.num_classes, **config.fusion_options)
    head = nn.Identity() if fusion.outputs_logits else make_head(fusion.output_dim)
    if config.fusion == "dynamic":
        return DynamicMultimodalModel(encoders, fusion, head, flops)
    return MultimodalModel(encoders, fusion, head)
