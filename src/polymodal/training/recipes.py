"""Named training recipes: the settings of optimizer, schedule, encoders and fusions that a
benchmark table was made with, reachable as one name (``polymodal train/bench --recipe NAME``).

A recipe fills only what the command does not set: a flag, ``--option`` or ``--config`` wins over
it, and it sets a fusion's options only when that fusion is trained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from polymodal.errors import ConfigError

if TYPE_CHECKING:  # imported where used: the recipes are read by the command line before torch
    from polymodal.data.dataset import MultimodalDataset
    from polymodal.models.build import ModelConfig
    from polymodal.training.config import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """One recipe.

    Attributes:
        name: what ``--recipe`` takes.
        train: :class:`~polymodal.training.config.TrainConfig` fields.
        model: :class:`~polymodal.models.build.ModelConfig` fields.
        fusion_options: ``{fusion: {option: value}}``, used for the fusions that are trained.
        fusion_train: ``{fusion: {TrainConfig field: value}}``: a fusion's own training settings,
            over :attr:`train` (MultiBench's AV-MNIST recipe trains low-rank fusion at half the
            others' rate).
    """

    name: str
    train: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    fusion_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    fusion_train: dict[str, dict[str, Any]] = field(default_factory=dict)


_ADAM = {"optimizer": "adam", "lr": 1e-3, "weight_decay": 1e-4, "lr_schedule": "constant", "grad_clip": None}
_BATCH_NORM = {"encoder_norm": "auto", "encoder_final_relu": True, "init": "torch", "tokenizer": "patch"}
_UNPROJECTED_WARMED_UP = {"tensor": {"output_dim": None}, "dynamic": {"penalty_warmup": 10}}
# dynamic fusion's branches train as experts under a uniform gate for 10 epochs, then the gate
# learns and its penalty warms up over 10 more (with the penalty's warm-up alone, the gate of
# AV-MNIST seed 1 sent every example to the image branch by epoch 2, and the audio never joined)
_UNPROJECTED_EXPERTS_FIRST = {"tensor": {"output_dim": None}, "dynamic": {"expert_epochs": 10, "penalty_warmup": 10}}

_SGD_COSINE = {**_ADAM, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "lr_schedule": "cosine", "grad_clip": 8.0}
# the fusions of raw patch tokens are Transformers without modality encoders, trained by AdamW as
# Transformers usually are: with SGD both stayed below audio alone on AV-MNIST's bench seed 1 (raw
# 0.622, cross-modal 0.611, audio 0.6515); with AdamW seed 0 passes narrowly and raw's seed 1 does
# not (docs/avmnist_candidate.md)
_TOKEN_FUSIONS_ADAMW = {f: {"optimizer": "adamw", "lr": 1e-3} for f in ("raw", "cross-modal-transformer")}
# ... and they tokenize images and spectrograms by a convolutional stem: a linearly embedded
# 16 x 16 patch of a spectrogram carries too little of a spoken digit (with patches raw fusion
# stayed below audio alone on seeds 1 and 2, cross-modal on seed 2; with the stem cross-modal
# passes on every seed and raw on seeds 0 and 1: docs/avmnist_candidate.md). Models that read
# encoder embeddings ignore the tokenizer.
_BATCH_NORM_CONV_STEM = {**_BATCH_NORM, "tokenizer": "conv-stem"}
# ... and raw fusion, in bn-sgd-cosine-freqmask, drops each modality of a training example with
# probability 0.5 (never all of them): joint training let its audio starve on AV-MNIST's seed 2
# (0.634, image alone 0.6475); with the dropout it passes on every seed (0.7535, 0.8045, 0.787,
# docs/avmnist_candidate.md), its best epochs 14 to 20 of 30, hence a patience of 30. A balancing
# method replaces the dropout (fusion_train_under_balance).
_FREQMASK_FUSION_TRAIN = {**_TOKEN_FUSIONS_ADAMW,
                          "raw": {**_TOKEN_FUSIONS_ADAMW["raw"], "modality_dropout": 0.5, "patience": 30}}

RECIPES: dict[str, Recipe] = {r.name: r for r in (
    # the default before issue 20, that of every table in docs/: Adam at a constant rate, no
    # normalisation in the encoders, tensor fusion projected to 64, dynamic fusion's penalty from epoch 0
    Recipe("adam", train=_ADAM, model={"encoder_norm": "none", "encoder_final_relu": True, "init": "torch",
                                       "tokenizer": "patch"},
           fusion_options={"tensor": {"output_dim": 64}, "dynamic": {"penalty_warmup": 0}}),
    # adam with batch norm after every convolution, tensor fusion unprojected and dynamic fusion's
    # penalty warmed up over 10 epochs (docs/avmnist_candidate.md's first candidate)
    Recipe("bn-adam", train=_ADAM, model=_BATCH_NORM, fusion_options=_UNPROJECTED_WARMED_UP),
    # bn-adam's model trained by SGD (momentum 0.9, lr 0.01), the rate annealed to 0 by a cosine,
    # gradients clipped at norm 8 (docs/avmnist_candidate.md)
    Recipe("bn-sgd-cosine", train=_SGD_COSINE, model=_BATCH_NORM, fusion_options=_UNPROJECTED_WARMED_UP),
    # bn-sgd-cosine with SpecAugment's time masking of the audio: in every training spectrogram one
    # band of 15% of the frames, at a random place, is silenced (Park et al., Interspeech 2019).
    # AV-MNIST's audio encoder otherwise memorises its training recordings (docs/avmnist_candidate.md).
    # Dynamic fusion trains its experts first (_UNPROJECTED_EXPERTS_FIRST), and the raw-token
    # fusions train with AdamW (_TOKEN_FUSIONS_ADAMW) from a convolutional stem (_BATCH_NORM_CONV_STEM),
    # in this and the next two
    Recipe("bn-sgd-cosine-timemask", train={**_SGD_COSINE, "augment": {"audio": "time-mask:0.15"}},
           model=_BATCH_NORM_CONV_STEM, fusion_options=_UNPROJECTED_EXPERTS_FIRST, fusion_train=_TOKEN_FUSIONS_ADAMW),
    # the same with SpecAugment's frequency masking: one band of 15% of the frequency bins; raw
    # fusion trains with modality dropout (_FREQMASK_FUSION_TRAIN)
    Recipe("bn-sgd-cosine-freqmask", train={**_SGD_COSINE, "augment": {"audio": "freq-mask:0.15"}},
           model=_BATCH_NORM_CONV_STEM, fusion_options=_UNPROJECTED_EXPERTS_FIRST, fusion_train=_FREQMASK_FUSION_TRAIN),
    # both masks, the time band first (SpecAugment's policy without its time warping)
    Recipe("bn-sgd-cosine-specaugment", train={**_SGD_COSINE, "augment": {"audio": "time-mask:0.15+freq-mask:0.15"}},
           model=_BATCH_NORM_CONV_STEM, fusion_options=_UNPROJECTED_EXPERTS_FIRST, fusion_train=_TOKEN_FUSIONS_ADAMW),
)}


#: A data set's own recipe, used when a command names none (MultiBench's recipes are per data set
#: too). Every data set not listed trains with the defaults, which are ``adam``: SGD cannot be
#: everyone's default (it costs digits up to 53 points, docs/avmnist_candidate.md). AV-MNIST trains
#: with ``bn-sgd-cosine-freqmask``, with which every fusion of the zoo takes the audio: each of its
#: 54 runs (18 fusions, 3 seeds) beats the better modality alone (issue 20,
#: ``docs/avmnist_candidate.md``). Its sequence form, ``avmnist-seq``, keeps the defaults: the
#: frequency mask on 40 log-mel features keeps its GRU near chance (docs/benchmarks.md, avmnist-seq).
DATASET_RECIPES: dict[str, str] = {"avmnist": "bn-sgd-cosine-freqmask"}


def recipe_for(dataset: str, given: str | None) -> str | None:
    """The recipe a command on ``dataset`` trains with: ``given`` (``--recipe``) if any, else the
    data set's own (:data:`DATASET_RECIPES`), else ``None`` (the defaults).

    Raises:
        ConfigError: ``given`` names no recipe.
    """
    if given is not None:
        return get_recipe(given).name
    return DATASET_RECIPES.get(dataset)


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``.

    Raises:
        ConfigError: no recipe has that name (the message lists those that do).
    """
    if name not in RECIPES:
        raise ConfigError(f"--recipe: {name!r} is unknown; choose from {', '.join(RECIPES)}")
    return RECIPES[name]


def apply_recipe(name: str | None, train: Mapping[str, Any], model: Mapping[str, Any],
                 fusion_options: Mapping[str, Mapping[str, Any]], fusions: Sequence[str]
                 ) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    """Fill the settings a command was given with a recipe's, the given ones winning.

    Args:
        name: the recipe, or ``None`` to leave the settings as they are.
        train: TrainConfig fields given.
        model: ModelConfig fields given.
        fusion_options: ``{fusion: {option: value}}`` given.
        fusions: the fusions trained (a recipe's options of any other fusion are not used).

    Returns:
        ``(train, model, fusion_options)``, new dicts.
    """
    train, model = dict(train), dict(model)
    options = {f: dict(o) for f, o in fusion_options.items()}
    if name is None:
        return train, model, options
    recipe = get_recipe(name)
    train = {**recipe.train, **train}
    model = {**recipe.model, **model}
    for fusion, defaults in recipe.fusion_options.items():
        if fusion in fusions:
            options[fusion] = {**defaults, **options.get(fusion, {})}
    return train, model, options


def fusion_train_for(name: str | None, train: Mapping[str, Any], fusions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A recipe's own training settings of the fusions trained, less those a command was given.

    Args:
        name: the recipe, or ``None`` (no settings).
        train: TrainConfig fields given (they win over a fusion's own as over the recipe's).
        fusions: the fusions trained.

    Returns:
        ``{fusion: {field: value}}``, fusions without settings left out.
    """
    if name is None:
        return {}
    own = {f: {k: v for k, v in t.items() if k not in train} for f, t in get_recipe(name).fusion_train.items()
           if f in fusions}
    return {f: t for f, t in own.items() if t}


#: the training settings of a fusion's own (:attr:`Recipe.fusion_train`, ``--option FUSION.key=value``)
#: that a balancing method replaces: modality dropout is a remedy of the same imbalance, and
#: :class:`~polymodal.training.config.TrainConfig` refuses the two together
BALANCE_REPLACES = ("modality_dropout",)


def fusion_train_under_balance(own: Mapping[str, Any], balance: str) -> dict[str, Any]:
    """A fusion's own training settings for a run balanced by ``balance``: ``own`` less
    :data:`BALANCE_REPLACES` when ``balance`` is a method, ``own`` itself for ``"none"``.

    Args:
        own: ``{TrainConfig field: value}``, one fusion's entry of :func:`fusion_train_for`.
        balance: the run's balancing method (``TrainConfig.balance``).
    """
    if balance == "none":
        return dict(own)
    return {k: v for k, v in own.items() if k not in BALANCE_REPLACES}


@dataclass(frozen=True)
class RecipeSettings:
    """What a script trains with on a data set: its own settings filled by a recipe's (see :func:`settings_for`).

    Attributes:
        recipe: the recipe applied, or ``None`` (the defaults).
        train: :class:`~polymodal.training.config.TrainConfig` fields.
        model: :class:`~polymodal.models.build.ModelConfig` fields.
        fusion_options: ``{fusion: {option: value}}``.
        fusion_train: ``{fusion: {TrainConfig field: value}}``, a fusion's own training settings
            (:func:`fusion_train_for`).
    """

    recipe: str | None
    train: dict[str, Any]
    model: dict[str, Any]
    fusion_options: dict[str, dict[str, Any]]
    fusion_train: dict[str, dict[str, Any]] = field(default_factory=dict)

    def train_config(self, fusion: str | None = None, **fields: Any) -> TrainConfig:
        """A :class:`~polymodal.training.config.TrainConfig` of :attr:`train`, ``fusion``'s own
        settings and ``fields`` on top (e.g. ``seed=1``). Without ``fusion``: the settings every
        model of a bench starts from (:meth:`bench_options` adds each fusion's own). A balancing
        method replaces the fusion's own modality dropout (:func:`fusion_train_under_balance`)."""
        from polymodal.training.config import TrainConfig

        balance = fields.get("balance", self.train.get("balance", "none"))
        own = fusion_train_under_balance(self.fusion_train.get(fusion or "", {}), balance)
        return TrainConfig(**{**self.train, **own, **fields})

    def model_options(self) -> dict[str, Any]:
        """:func:`~polymodal.bench.runner.run_bench`'s ``model_options``: :attr:`model` and the fusion options."""
        return {**self.model, "fusion_options": self.fusion_options} if self.fusion_options else dict(self.model)

    def bench_options(self) -> dict[str, Any]:
        """The keywords :func:`~polymodal.bench.runner.run_bench` takes from a recipe besides
        :meth:`train_config`: ``model_options`` and ``fusion_train``."""
        return {"model_options": self.model_options(), "fusion_train": self.fusion_train}

    def model_config(self, dataset: MultimodalDataset, fusion: str, **fields: Any) -> ModelConfig:
        """``ModelConfig.for_dataset(dataset, fusion)`` with :attr:`model`, ``fusion``'s options and ``fields`` on top."""
        from polymodal.models.build import ModelConfig

        fields = {**self.model, **fields}
        options = {**self.fusion_options.get(fusion, {}), **fields.pop("fusion_options", {})}
        return ModelConfig.for_dataset(dataset, fusion, **fields, **({"fusion_options": options} if options else {}))


def settings_for(dataset: str, fusions: Sequence[str], *, recipe: str | None = None,
                 train: Mapping[str, Any] | None = None, model: Mapping[str, Any] | None = None,
                 fusion_options: Mapping[str, Mapping[str, Any]] | None = None) -> RecipeSettings:
    """The settings ``polymodal train/bench --dataset DATASET [--recipe RECIPE]`` would use, for
    scripts that build their configurations in Python: ``recipe`` if given, else the data set's own
    (:data:`DATASET_RECIPES`), under the settings given, which win.

    Args:
        dataset: the data set's name (``"avmnist"``).
        fusions: the fusions trained (a recipe sets only their options).
        recipe: a recipe to use instead of the data set's own.
        train: TrainConfig fields given (``{"epochs": 30, "patience": 8}``).
        model: ModelConfig fields given.
        fusion_options: ``{fusion: {option: value}}`` given.

    Raises:
        ConfigError: ``recipe`` names no recipe.
    """
    name = recipe_for(dataset, recipe)
    t, m, o = apply_recipe(name, train or {}, model or {}, fusion_options or {}, fusions)
    return RecipeSettings(name, t, m, o, fusion_train_for(name, train or {}, fusions))


#: the settings a recipe sets, or a run may change on top of one, that :func:`describe_recipe` compares
_TRAIN_KEYS = ("optimizer", "lr", "momentum", "weight_decay", "lr_schedule", "grad_clip", "augment", "modality_dropout",
               "balance", "balance_options", "batch_size", "epochs", "patience")
_MODEL_KEYS = ("encoder_norm", "encoder_final_relu", "init", "embed_dim", "hidden_dim", "dropout", "tokenizer")


def _fusion_options(fusion: str, given: Mapping[str, Any]) -> dict[str, Any]:
    # an option a run leaves unset has its default, which the adam recipe pins
    pinned = RECIPES["adam"].fusion_options.get(fusion, {})
    return {f"{fusion}.{k}": v for k, v in {**pinned, **given}.items()}


def describe_recipe(train_config: Mapping[str, Any], model_config: Mapping[str, Any]) -> str:
    """The named recipe a run's settings match best, then each setting that differs from it (a
    flag given on top), e.g. ``"bn-sgd-cosine + weight_decay=0.0005"``; ties go to the recipe
    listed first in :data:`RECIPES`.

    Args:
        train_config: a run's :class:`~polymodal.training.config.TrainConfig` as a dict (``result.json``'s
            ``train_config``; fields added since are read as :data:`BEFORE_TRAIN_FIELDS` says).
        model_config: its :class:`~polymodal.models.build.ModelConfig` as a dict.
    """
    from dataclasses import MISSING, asdict, fields

    from polymodal.catalog import CATALOG
    from polymodal.models.build import BEFORE_RECIPE_FIELDS, ModelConfig
    from polymodal.training.config import BEFORE_TRAIN_FIELDS, TrainConfig

    fusion = str(model_config["fusion"])
    train = {**BEFORE_TRAIN_FIELDS, **train_config}
    model = {**BEFORE_RECIPE_FIELDS, **model_config}
    # the tokenizer shapes only the models that read tokens: for the others it is no difference
    reads_tokens = fusion in CATALOG and CATALOG[fusion].reads == "tokens"
    model_keys = tuple(k for k in _MODEL_KEYS if reads_tokens or k != "tokenizer")
    have = {**{k: train.get(k) for k in _TRAIN_KEYS}, **{k: model.get(k) for k in model_keys},
            **_fusion_options(fusion, model.get("fusion_options", {}))}
    train_defaults = asdict(TrainConfig())
    model_defaults = {f.name: f.default for f in fields(ModelConfig) if f.default is not MISSING}
    defaults = {**{k: train_defaults[k] for k in _TRAIN_KEYS}, **{k: model_defaults[k] for k in model_keys}}
    best: tuple[int, str, list[str]] | None = None
    for name, recipe in RECIPES.items():
        expected = {**defaults, **recipe.train, **recipe.fusion_train.get(fusion, {}), **recipe.model,
                    **_fusion_options(fusion, recipe.fusion_options.get(fusion, {}))}
        diff = [f"{k}={_show(v)}" for k, v in have.items() if v != expected.get(k)]
        if best is None or len(diff) < best[0]:
            best = (len(diff), name, diff)
    assert best is not None
    return " + ".join([best[1], *best[2]])


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}={v}" for k, v in value.items()) + "}"
    return str(value)
