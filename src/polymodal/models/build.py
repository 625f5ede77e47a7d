"""The plain, JSON-ready configuration of a :class:`MultimodalModel`, and the parts every builder shares.

Checkpoints store this configuration next to the weights, so a model can be rebuilt and
loaded without the script that trained it. The builders themselves are the entries of
:mod:`polymodal.catalog`, whose :func:`~polymodal.catalog.build_model` turns a config into a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import math
from typing import Any, Callable, Literal, Sequence, get_args

import torch
from torch import nn

from polymodal.data.dataset import ModalitySpec, MultimodalDataset
from polymodal.checks import positive_int
from polymodal.errors import ConfigError
from polymodal.models.encoders import ENCODER_NORMS, EncoderNorm, make_encoder
from polymodal.models.heterogeneity_aware import HETEROGENEITY_AWARE, resolve_options
from polymodal.models.imputer import TranslationImputer
from polymodal.models.missing import blank_input
from polymodal.models.multimodal import MultimodalModel
from polymodal.models.names import MODEL_NAMES, ModelName
from polymodal.models.tokenizers import GRID_TOKENIZERS, GridTokenizer, make_tokenizer

SequenceEncoderName = Literal["gru", "cnn", "transformer"]
#: ``torch``: PyTorch's layer defaults; ``xavier``: Glorot-uniform weights; ``kaiming``: He-normal
#: weights (fan-in, ReLU gain); the last two zero the biases. Applied to every linear and
#: convolution layer of the model.
Init = Literal["torch", "xavier", "kaiming"]
INITS: tuple[str, ...] = get_args(Init)

#: The encoder sizes every model family starts from (fusion, fission and coordination alike).
EMBED_DIM = 64
HIDDEN_DIM = 64
DROPOUT = 0.1


#: What the recipe fields meant before they existed: a configuration without them was built so.
BEFORE_RECIPE_FIELDS: dict[str, Any] = {"encoder_norm": "none", "encoder_final_relu": True, "init": "torch",
                                        "tokenizer": "patch"}


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model.

    Attributes:
        modalities: ``[{"name", "kind", "shape"}]`` of the modalities the model reads.
        num_classes: number of classes.
        fusion: the name of a :data:`polymodal.catalog.CATALOG` entry: a fusion, a fission model,
            ``"heterogeneity-aware"``, or ``"unimodal"`` for a one-modality baseline.
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
        encoder_norm: normalisation inside the MLP and LeNet encoders and the patch tokenizers,
            ``auto`` (batch norm after convolutions, none after linear layers), ``none``,
            ``batch`` or ``layer`` (see :mod:`polymodal.models.encoders`).
        encoder_final_relu: end every MLP and LeNet embedding with a ReLU.
        init: weight initialisation, see :data:`Init`.
        tokenizer: how models that read tokens (raw and cross-modal-transformer fusion) tokenize
            images and spectrograms, ``patch`` or ``conv-stem`` (see :data:`~polymodal.models.tokenizers.GridTokenizer`).
    """

    modalities: list[dict[str, Any]]
    num_classes: int
    fusion: ModelName = "early"
    fusion_options: dict[str, Any] = field(default_factory=dict)
    embed_dim: int = EMBED_DIM
    hidden_dim: int = HIDDEN_DIM
    dropout: float = DROPOUT
    missing_token: bool = False
    imputer: int | None = None
    sequence_encoder: SequenceEncoderName | None = None
    encoder_norm: EncoderNorm = "none"
    encoder_final_relu: bool = True
    init: Init = "torch"
    tokenizer: GridTokenizer = "patch"

    def __post_init__(self) -> None:
        if self.fusion not in MODEL_NAMES:
            raise ConfigError(f"fusion: {self.fusion!r} is unknown; choose from {', '.join(MODEL_NAMES)} "
                              "(polymodal fusions lists them)")
        if self.sequence_encoder is not None and self.sequence_encoder not in get_args(SequenceEncoderName):
            raise ConfigError(f"sequence_encoder: {self.sequence_encoder!r} is unknown; choose from "
                              f"{', '.join(get_args(SequenceEncoderName))}")
        for name, value, choices in (("encoder_norm", self.encoder_norm, ENCODER_NORMS), ("init", self.init, INITS),
                                      ("tokenizer", self.tokenizer, GRID_TOKENIZERS)):
            if value not in choices:
                raise ConfigError(f"{name}: {value!r} is unknown; choose from {', '.join(choices)}")
        if not isinstance(self.encoder_final_relu, bool):
            raise ConfigError(f"encoder_final_relu: {self.encoder_final_relu!r} must be true or false")
        self.embed_dim = positive_int(self.embed_dim, "embed_dim")
        self.hidden_dim = positive_int(self.hidden_dim, "hidden_dim")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(f"dropout: {self.dropout!r} must be in [0, 1)")

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
        """Rebuild from :meth:`to_dict` output. A configuration stored before a field existed (an
        older checkpoint) gets the value that field's behaviour had then (:data:`BEFORE_RECIPE_FIELDS`),
        not today's default, so the model is rebuilt as it was trained."""
        return cls(**{**BEFORE_RECIPE_FIELDS, **data})


#: The most weights the first layer of a head may have (an unprojected tensor fusion of many modalities exceeds it).
MAX_HEAD_WEIGHTS = 50_000_000


def mlp_head(in_dim: int, hidden_dim: int, num_classes: int, dropout: float) -> nn.Sequential:
    """``(B, in_dim) -> (B, num_classes)``: linear, ReLU, dropout, linear.

    Raises:
        ConfigError: the first layer would have more than :data:`MAX_HEAD_WEIGHTS` weights.
    """
    if in_dim * hidden_dim > MAX_HEAD_WEIGHTS:
        raise ConfigError(f"the head would read {in_dim:,} fused features with {in_dim * hidden_dim:,} weights; "
                          "use a smaller fused size (low-rank fusion, or tensor fusion with --option output_dim=64)")
    return nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_dim, num_classes))


@dataclass(frozen=True)
class BuildContext:
    """What a catalog entry's builder (:mod:`polymodal.catalog`) gets.

    Attributes:
        config: the model's configuration.
        specs: the modalities, in order.
        encoders: ``{m: module (B, *shape_m) -> (B, embed_dim)}`` for an entry that reads
            embeddings, ``{m: tokenizer (B, *shape_m) -> (B, L_m, embed_dim)}`` for one that reads
            tokens, ``{}`` for one that makes its own input layers.
        make_head: ``make_head(d)``: an MLP head ``(B, d) -> (B, num_classes)``.
    """

    config: "ModelConfig"
    specs: list[ModalitySpec]
    encoders: dict[str, nn.Module]
    make_head: Callable[[int], nn.Module]

    @property
    def dims(self) -> dict[str, int]:
        """``{m: embed_dim}``: the size of every encoder's embedding."""
        return {s.name: self.config.embed_dim for s in self.specs}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """``{m: input shape of one example}``."""
        return {s.name: s.shape for s in self.specs}


def input_layers(config: "ModelConfig", specs: Sequence[ModalitySpec], reads: str) -> dict[str, nn.Module]:
    """The per-modality input modules of a model that reads ``"embeddings"`` (the kind's default
    encoder), ``"tokens"`` (patch tokenizers of the raw input) or ``"inputs"`` (none: its builder
    makes them)."""
    if reads == "tokens":
        return {s.name: make_tokenizer(s, config.embed_dim, config.encoder_norm, config.tokenizer) for s in specs}
    if reads == "embeddings":
        return {s.name: make_encoder(s, config.embed_dim, config.hidden_dim, config.dropout, config.sequence_encoder,
                                     norm=config.encoder_norm, final_relu=config.encoder_final_relu)
                for s in specs}
    return {}


def initialise(model: nn.Module, init: Init) -> nn.Module:
    """Re-initialise every linear and convolution layer of ``model`` by ``init`` (:data:`Init`), in
    module order (so a seed gives the same weights); ``torch`` leaves the model as built."""
    if init == "torch":
        return model
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            if init == "xavier":
                nn.init.xavier_uniform_(layer.weight)
            else:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def equip_for_missing(model: MultimodalModel, config: "ModelConfig") -> MultimodalModel:
    """Give a built model what it needs for missing modalities: its input shapes and kinds, and
    (if the config asks) learned missing embeddings and an imputer."""
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
