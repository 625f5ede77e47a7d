"""Heterogeneity-aware fusion (HighMMT, Liang et al., TMLR 2022): modalities of one group share an encoder trunk.

Each modality m has its own input projection P_m (the first layer of its default encoder: a
linear map for a vector, the LeNet convolutions and a linear map for an image); the modalities
of a group g share the rest, the trunk T_g (ReLU, dropout, ``trunk_layers`` more hidden layers,
and the embedding layer):

    e_m = T_{g(m)}(P_m(x_m)),      z = GroupedPairFusion({e_m}),      logits = head(z)

With every modality in its own group and no pair groups this is exactly early fusion over the
default encoders (for vector modalities: the same parameters, the same outputs). Groups come
from a measured ``heterogeneity.json`` (:mod:`polymodal.heterogeneity`), are given as lists, or
are the presets ``separate`` and ``shared``. Pair groups, likewise, share cross-modal layers
between the pairs of a group (:class:`~polymodal.fusion.grouped_pairs.GroupedPairFusion`).

Options (``--option k=v``): ``groups`` (``separate``, default; ``shared``; ``measured``, with
``heterogeneity=PATH``; or ``[["a", "b"], ["c"]]``), ``trunk_layers`` (default 0),
``pair_groups`` (``none``, default; ``shared``; ``separate``; ``measured``, with
``interactions=PATH``; or ``[[["a", "b"], ["c", "d"]], ...]``).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

from torch import Tensor, nn

from polymodal.checks import positive_int
from polymodal.data.dataset import ModalitySpec
from polymodal.errors import ConfigError
from polymodal.fusion.grouped_pairs import GroupedPairFusion
from polymodal.models.encoders import EncoderNorm, LeNetEncoder
from polymodal.models.multimodal import MultimodalModel

HETEROGENEITY_AWARE = "heterogeneity-aware"
OPTIONS = ("groups", "heterogeneity", "trunk_layers", "pair_groups", "interactions")


class ProjectedEncoder(nn.Module):
    """``trunk(projection(x))``: ``(B, *shape) -> (B, out_dim)``; the trunk may be shared with other modalities."""

    def __init__(self, projection: nn.Module, trunk: nn.Module, out_dim: int) -> None:
        super().__init__()
        self.projection, self.trunk, self.out_dim = projection, trunk, out_dim

    def forward(self, x: Tensor) -> Tensor:
        """``(B, *shape) -> (B, out_dim)``."""
        return self.trunk(self.projection(x))


def input_projection(spec: ModalitySpec, hidden_dim: int, norm: EncoderNorm = "none") -> nn.Module:
    """``(B, *shape) -> (B, hidden_dim)``: the first, modality-specific layer(s) of the default encoder
    (``norm`` after its convolutions, see :func:`~polymodal.models.encoders.norm_layers`)."""
    if spec.kind == "vector":
        return nn.Linear(spec.shape[0], hidden_dim)
    lenet = LeNetEncoder(spec.shape, hidden_dim, norm=norm)  # type: ignore[arg-type]
    return nn.Sequential(lenet.features, lenet.head[0], lenet.head[1])


def make_trunk(hidden_dim: int, embed_dim: int, dropout: float, trunk_layers: int = 0) -> nn.Sequential:
    """``(B, hidden_dim) -> (B, embed_dim)``: ReLU, dropout, ``trunk_layers`` x (linear, ReLU, dropout), linear, ReLU."""
    layers: list[nn.Module] = [nn.ReLU(), nn.Dropout(dropout)]
    for _ in range(trunk_layers):
        layers += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers, nn.Linear(hidden_dim, embed_dim), nn.ReLU())


def check_partition(groups: Any, names: Sequence[str], what: str = "groups") -> list[list[str]]:
    """``groups`` as lists of names, each of ``names`` in exactly one group.

    Raises:
        ConfigError: not a list of lists, an unknown name, a name repeated or missed, an empty group.
    """
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, (list, tuple)) and g for g in groups):
        raise ConfigError(f"{what} must be a list of non-empty lists of names, e.g. [[\"a\", \"b\"], [\"c\"]], "
                          f"got {groups!r}")
    flat = [str(m) for g in groups for m in g]
    unknown = [m for m in flat if m not in names]
    repeated = sorted({m for m in flat if flat.count(m) > 1})
    missed = [m for m in names if m not in flat]
    if unknown or repeated or missed:
        problem = (f"{unknown[0]!r} is not one of {list(names)}" if unknown else
                   f"{repeated[0]!r} is in more than one group" if repeated else f"{missed} are in no group")
        raise ConfigError(f"{what}: {problem}; every one of {list(names)} must be in exactly one group")
    return [[str(m) for m in g] for g in groups]


def resolve_groups(groups: Any, names: Sequence[str], heterogeneity: str | None = None) -> list[list[str]]:
    """``separate`` / ``shared`` / ``measured`` (from the ``heterogeneity`` file) / a list -> checked groups."""
    from polymodal.heterogeneity.run import load_groups  # measuring builds on models; keep the import one-way

    if groups == "separate":
        return [[m] for m in names]
    if groups == "shared":
        return [list(names)]
    if groups == "measured":
        if not heterogeneity:
            raise ConfigError("groups=measured needs heterogeneity=PATH, the heterogeneity.json of "
                              "`polymodal heterogeneity --out DIR`")
        groups = load_groups(heterogeneity, names)
    elif isinstance(groups, str):
        raise ConfigError(f"groups {groups!r} is unknown; use separate, shared, measured or a list of lists")
    return check_partition(groups, names)


def resolve_pair_groups(pair_groups: Any, names: Sequence[str], interactions: str | None = None) -> list[list[list[str]]]:
    """``none`` / ``shared`` / ``separate`` / ``measured`` (from the ``interactions`` file) / a list -> groups of pairs."""
    from polymodal.heterogeneity.run import load_groups

    pairs = [list(p) for p in itertools.combinations(names, 2)]
    if pair_groups in (None, "none"):
        return []
    if pair_groups == "shared":
        return [pairs]
    if pair_groups == "separate":
        return [[p] for p in pairs]
    if pair_groups == "measured":
        if not interactions:
            raise ConfigError("pair_groups=measured needs interactions=PATH, the interaction-heterogeneity.json "
                              "of `polymodal heterogeneity --interactions`")
        keyed = load_groups(interactions, ["+".join(p) for p in pairs], key="pairs")
        return [[k.split("+") for k in g] for g in keyed]
    if not isinstance(pair_groups, (list, tuple)) or not all(isinstance(g, (list, tuple)) and g for g in pair_groups):
        raise ConfigError(f"pair_groups {pair_groups!r} is unknown; use none, shared, separate, measured or a list "
                          'of groups of pairs, e.g. [["a+b", "c+d"], ["a+c"]]')
    keyed = [[_pair_key(p, names) for p in g] for g in pair_groups]
    check_partition(keyed, sorted({k for g in keyed for k in g}), "pair_groups")  # no pair in two groups
    return [[k.split("+") for k in g] for g in keyed]


def _pair_key(pair: Any, names: Sequence[str]) -> str:
    """``["b", "a"]`` or ``"b+a"`` -> ``"a+b"`` (in the order of ``names``)."""
    parts = pair.split("+") if isinstance(pair, str) else [str(m) for m in pair] if isinstance(pair, (list, tuple)) else []
    if len(parts) != 2 or parts[0] == parts[1] or any(m not in names for m in parts):
        raise ConfigError(f"pair_groups: {pair!r} is not a pair of two modalities of {list(names)}")
    return "+".join(sorted(parts, key=list(names).index))


def resolve_options(options: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The options with ``measured`` groups read from their files into explicit lists (for a checkpoint's config)."""
    unknown = [k for k in options if k not in OPTIONS]
    if unknown:
        raise ConfigError(f"{HETEROGENEITY_AWARE}: option {unknown[0]!r} is unknown; options are {', '.join(OPTIONS)}")
    out = dict(options)
    out["groups"] = resolve_groups(options.get("groups", "separate"), names, options.get("heterogeneity"))
    out["pair_groups"] = resolve_pair_groups(options.get("pair_groups"), names, options.get("interactions"))
    out["trunk_layers"] = positive_int(options.get("trunk_layers", 0), f"{HETEROGENEITY_AWARE}: trunk_layers", minimum=0)
    return out


def build_heterogeneity_aware_model(specs: Sequence[ModalitySpec], embed_dim: int, hidden_dim: int, dropout: float,
                                    make_head: Callable[[int], nn.Module], options: dict[str, Any],
                                    norm: EncoderNorm = "none") -> MultimodalModel:
    """Projections per modality (``norm`` after their convolutions), trunks per group,
    :class:`GroupedPairFusion` and a head (module doc)."""
    names = [s.name for s in specs]
    opts = resolve_options(options, names)
    trunks = {}
    for group in opts["groups"]:
        trunk = make_trunk(hidden_dim, embed_dim, dropout, opts["trunk_layers"])
        trunks.update({m: trunk for m in group})
    encoders = {s.name: ProjectedEncoder(input_projection(s, hidden_dim, norm), trunks[s.name], embed_dim) for s in specs}
    fusion = GroupedPairFusion({m: embed_dim for m in names}, opts["pair_groups"], hidden_dim)
    return MultimodalModel(encoders, fusion, make_head(fusion.output_dim))
