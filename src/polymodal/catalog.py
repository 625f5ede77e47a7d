"""The model catalog: one table of every model selectable by name, and :func:`build_model`.

Each :class:`ModelEntry` says what the model is (its ``family``), what its per-modality input
layers hand it (``reads``), whether ``--fusions all`` includes it, and how it is built. Everything
that lists or builds models by name derives from :data:`CATALOG`: :func:`build_model`, the
bench's method list (:func:`polymodal.bench.parse_fusions`), ``polymodal fusions`` and the
command line's help. Adding a model is adding an entry.

The catalog sits above :mod:`polymodal.models`, :mod:`polymodal.fusion` and
:mod:`polymodal.fission` and imports all three; none of them imports it, so fission models can
build on the generic models without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Literal, get_args

from torch import nn

from polymodal.data.dataset import ModalitySpec
from polymodal.errors import ConfigError
from polymodal.fission import builders as fission
from polymodal.fission.autoencoder import MultimodalAutoencoder
from polymodal.fission.discriminative import DiscriminativeFission
from polymodal.fission.factorized import FactorizedMultimodalModel
from polymodal.fusion.base import Fusion
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.registry import FUSIONS, READS_TOKENS, make_fusion
from polymodal.models.build import BuildContext, ModelConfig, equip_for_missing, initialise, input_layers, mlp_head
from polymodal.models.dynamic import DynamicMultimodalModel, encoder_flops
from polymodal.models import heterogeneity_aware
from polymodal.models.heterogeneity_aware import build_heterogeneity_aware_model
from polymodal.models.multimodal import MultimodalModel
from polymodal.models.names import IN_ALL, MODEL_NAMES, ModelName

#: ``fusion``: one representation from all modalities; ``routed``: a fusion that sends each example
#: through a subset of the encoders; ``fission``: more representations than modalities;
#: ``unimodal``: one modality alone (the baselines).
Family = Literal["fusion", "routed", "fission", "unimodal"]
#: ``embeddings``: each modality's default encoder; ``tokens``: patch tokenizers of the raw input;
#: ``inputs``: the builder makes its own input layers.
Reads = Literal["embeddings", "tokens", "inputs"]
Builder = Callable[[BuildContext], MultimodalModel]

UNIMODAL = "unimodal"


@dataclass(frozen=True)
class ModelEntry:
    """One model selectable by name.

    Attributes:
        name: the name ``--fusion`` / ``--fusions`` / ``ModelConfig(fusion=...)`` take.
        family: see :data:`Family`.
        reads: see :data:`Reads`.
        builder: ``builder(context) -> MultimodalModel`` (see :class:`~polymodal.models.build.BuildContext`).
        documentation: ``documentation() ->`` the class (or module) whose docstring describes the
            model (``polymodal fusions``); called only when listing, so that loading the catalog
            builds no model.
        in_all: part of ``--fusions all``.
    """

    name: ModelName
    family: Family
    reads: Reads
    builder: Builder
    documentation: Callable[[], object]
    in_all: bool = True

    @property
    def documented_by(self) -> object:
        """The class (or module) whose docstring describes the model."""
        return self.documentation()

    @property
    def defined_by(self) -> str:
        """The name of :attr:`documented_by`: a class name, or a module's last name."""
        return getattr(self.documented_by, "__qualname__", getattr(self.documented_by, "__name__", "").rpartition(".")[2])

    def summary(self) -> str:
        """The first paragraph of :attr:`documented_by`'s docstring, on one line."""
        doc = (self.documented_by.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.replace("``", "").split())


def _fused(context: BuildContext) -> MultimodalModel:
    """Encoders (or tokenizers), the named fusion, and an MLP head (none after a fusion that outputs logits)."""
    config = context.config
    fusion = make_fusion(config.fusion, context.dims, config.hidden_dim, config.num_classes, **config.fusion_options)
    head = nn.Identity() if fusion.outputs_logits else context.make_head(fusion.output_dim)
    return MultimodalModel(context.encoders, fusion, head)


def _unimodal(context: BuildContext) -> MultimodalModel:
    """One encoder, the identity fusion (a concatenation of one) and an MLP head."""
    if len(context.specs) != 1:
        raise ConfigError(f"fusion 'unimodal' takes exactly one modality, got {[s.name for s in context.specs]}; "
                          "pick it with --modalities")
    fusion = ConcatFusion(context.dims)
    return MultimodalModel(context.encoders, fusion, context.make_head(fusion.output_dim))


def _dynamic(context: BuildContext) -> MultimodalModel:
    """Dynamic fusion with the cheapest modality's branch and the full branch, unless
    ``fusion_options["branches"]`` says otherwise; branch costs are encoder FLOPs."""
    config = context.config
    flops = {s.name: encoder_flops(context.encoders[s.name], s.shape) for s in context.specs}
    cheapest = min(flops, key=flops.__getitem__)
    options = {"branches": [[cheapest], [s.name for s in context.specs]], **config.fusion_options}
    fusion = make_fusion("dynamic", context.dims, config.hidden_dim, config.num_classes, **options)
    return DynamicMultimodalModel(context.encoders, fusion, context.make_head(fusion.output_dim), flops)


def _heterogeneity_aware(context: BuildContext) -> MultimodalModel:
    config = context.config
    return build_heterogeneity_aware_model(context.specs, config.embed_dim, config.hidden_dim, config.dropout,
                                           context.make_head, config.fusion_options, norm=config.encoder_norm)


def _fusion_class(name: str) -> Callable[[], type[Fusion]]:
    """``() ->`` the class of the fusion called ``name`` (the registry's factories are functions:
    the class is that of a small instance, built when asked for)."""
    return lambda: type(make_fusion(name, {"a": 4, "b": 4}, hidden_dim=4, num_classes=2))


def _fusion_entries() -> Iterable[ModelEntry]:
    for name in FUSIONS:
        if name == "dynamic":
            yield ModelEntry(name, "routed", "embeddings", _dynamic, _fusion_class(name))
        else:
            yield ModelEntry(name, "fusion", "tokens" if name in READS_TOKENS else "embeddings", _fused,
                             _fusion_class(name))


def _table(entries: Iterable[ModelEntry]) -> dict[str, ModelEntry]:
    table = {e.name: e for e in entries}
    if tuple(table) != MODEL_NAMES or tuple(n for n, e in table.items() if e.in_all) != IN_ALL:
        raise AssertionError("polymodal.models.names must list the catalog's names in order, and IN_ALL its in_all ones: "
                             f"{tuple(table)}")
    return table


#: Every model selectable by name, in the order listings show them.
CATALOG: dict[str, ModelEntry] = _table([
    ModelEntry(UNIMODAL, "unimodal", "embeddings", _unimodal, lambda: MultimodalModel, in_all=False),
    *_fusion_entries(),
    ModelEntry("heterogeneity-aware", "fusion", "inputs", _heterogeneity_aware, lambda: heterogeneity_aware,
               in_all=False),
    ModelEntry("discriminative-fission", "fission", "embeddings", fission.build_discriminative_fission,
               lambda: DiscriminativeFission, in_all=False),
    ModelEntry("factorized", "fission", "embeddings", fission.build_factorized, lambda: FactorizedMultimodalModel,
               in_all=False),
    ModelEntry("autoencoder", "fission", "embeddings", fission.build_autoencoder, lambda: MultimodalAutoencoder,
               in_all=False),
])


def model_entry(name: str, argument: str = "fusion") -> ModelEntry:
    """The entry called ``name``; a :class:`ConfigError` naming ``argument`` and the choices otherwise."""
    if name not in CATALOG:
        raise ConfigError(f"{argument}: {name!r} is unknown; choose from {', '.join(CATALOG)} (polymodal fusions lists them)")
    return CATALOG[name]


def model_names(*, in_all: bool | None = None, families: Iterable[Family] | None = None) -> list[str]:
    """Catalog names, filtered by ``in_all`` and ``families`` when given, in catalog order."""
    keep = set(families) if families is not None else set(get_args(Family))
    return [n for n, e in CATALOG.items() if e.family in keep and (in_all is None or e.in_all == in_all)]


def build_architecture(config: ModelConfig) -> MultimodalModel:
    """The model of ``config.fusion``'s entry: its input layers (:func:`~polymodal.models.build.input_layers`
    for what it reads), then its builder, initialised by ``config.init``.

    Raises:
        ConfigError: an unknown name, a bad option, or ``unimodal`` with more than one modality.
    """
    entry = model_entry(config.fusion)
    specs = [ModalitySpec.from_dict(m) for m in config.modalities]
    make_head = lambda d: mlp_head(d, config.hidden_dim, config.num_classes, config.dropout)  # noqa: E731
    model = entry.builder(BuildContext(config, specs, input_layers(config, specs, entry.reads), make_head))
    return initialise(model, config.init)


def build_model(config: ModelConfig) -> MultimodalModel:
    """:func:`build_architecture`, then what a model needs for missing modalities (its input shapes,
    and, if the config asks, learned missing embeddings and an imputer:
    :func:`~polymodal.models.build.equip_for_missing`)."""
    return equip_for_missing(build_architecture(config), config)
