"""Missing modalities: which examples have which modality, and the declared strategy for the rest.

A batch may lack a modality in two ways: its key is absent from the inputs (no example has
it), or a per-example presence mask marks it absent. A :class:`Presence` says which, and how
the model fills the gap at the level of the embeddings ``e_m = encoder_m(x_m)``:

- ``zero``: ``e_m = 0``;
- ``mean``: ``e_m`` = the mean embedding of the training split (:func:`mean_embeddings`);
- ``token``: ``e_m`` = a learned missing embedding (a model built with ``missing_token=True``);
- ``drop``: the fusion leaves the modality out (late fusion averages the heads present; gated
  fusion and mixtures renormalise their gates; additive and multiplicative fusion sum or
  multiply the modalities present; see :meth:`~polymodal.fusion.base.Fusion.fuse_present`);
- ``impute``: ``e_m`` is predicted from the embeddings present by the model's translation
  network (:class:`~polymodal.models.imputer.TranslationImputer`, a model built with ``imputer``).

``zero`` and ``mean`` need no training, so every trained model supports them; the others
need a model built (and trained) for them: :func:`supported_strategies` lists a model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import torch

from polymodal.data.kinds import get_kind
from polymodal.data.padded import Padded, blank
from polymodal.errors import ConfigError, ShapeError

if TYPE_CHECKING:
    from polymodal.models.multimodal import MultimodalModel

STRATEGIES = ("zero", "mean", "token", "drop", "impute")


def check_strategy(strategy: str, argument: str = "strategy") -> str:
    """``strategy`` if it is one of :data:`STRATEGIES`, else a :class:`ConfigError` naming the choices."""
    if strategy not in STRATEGIES:
        raise ConfigError(f"{argument}: {strategy!r} is unknown; choose from {', '.join(STRATEGIES)}")
    return strategy


@dataclass
class Presence:
    """Which examples of a batch have which modality, and the strategy for the absent ones.

    Attributes:
        strategy: one of :data:`STRATEGIES`.
        masks: ``{m: (B,) bool}``, ``True`` where example ``b`` has modality ``m``. A modality
            without a mask is present in every example if its key is in the inputs and absent
            from every example if not.
        means: ``{m: embedding of one example}``, the training means (strategy ``mean``).
    """

    strategy: str
    masks: dict[str, torch.Tensor] = field(default_factory=dict)
    means: Mapping[str, torch.Tensor] | None = None

    def __post_init__(self) -> None:
        check_strategy(self.strategy)

    def resolve(self, inputs: Mapping[str, torch.Tensor], shapes: Mapping[str, Sequence[int]] | None,
                modalities: Sequence[str], kinds: Mapping[str, str] | None = None
                ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Every modality's input and mask: absent keys get zeros of the declared input shape.

        Args:
            inputs: ``{m: (B, *shape_m)}`` for the modalities given.
            shapes: ``{m: shape_m}`` of every modality the model reads (for absent keys).
            modalities: the modalities the model reads.
            kinds: ``{m: kind}`` (a sequence or text modality is completed as a
                :class:`~polymodal.data.padded.Padded` of one zero step); default ``vector``-like.

        Returns:
            ``({m: (B, *shape_m)}, {m: (B,) bool})`` over ``modalities``.

        Raises:
            ShapeError: no modality is given, or a mask has the wrong size.
        """
        given = [m for m in modalities if m in inputs]
        if not given:
            raise ShapeError(f"every modality the model reads ({', '.join(modalities)}) is missing; give at least one")
        ref = inputs[given[0]]
        batch = ref.shape[0]
        full, masks = {}, {}
        for m in modalities:
            if m in inputs:
                full[m] = inputs[m]
                mask = self.masks.get(m)
                masks[m] = torch.ones(batch, dtype=torch.bool, device=ref.device) if mask is None else mask.to(ref.device).bool()
            else:
                if shapes is None or m not in shapes:
                    raise ShapeError(f"modality {m!r} is missing and the model does not declare its input shape; "
                                     "pass it with a presence mask instead")
                full[m] = blank_input(kinds.get(m, "vector") if kinds else "vector", batch, shapes[m], ref)
                masks[m] = torch.zeros(batch, dtype=torch.bool, device=ref.device)
            if masks[m].shape != (batch,):
                raise ShapeError(f"presence mask of {m!r} has shape {tuple(masks[m].shape)}, expected ({batch},)")
        if batch and not bool(torch.stack(list(masks.values())).any(0).all()):
            raise ShapeError("an example has none of its modalities present; at least one must remain")
        return full, masks


def blank_input(kind: str, batch: int, shape: Sequence[int], like: torch.Tensor | Padded) -> torch.Tensor | Padded:
    """Zeros standing for an absent modality of ``kind``, on the device of ``like`` (floats in its
    dtype when it has one, int64 token ids for text)."""
    entry = get_kind(kind)
    dtype = torch.long if entry.integer else (like.dtype if like.dtype.is_floating_point else torch.get_default_dtype())
    return blank(batch, shape, entry.padded, dtype, like.device)


def fill_missing(model: "MultimodalModel", embeddings: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor],
                 presence: Presence) -> dict[str, torch.Tensor]:
    """Replace the embeddings of absent examples as ``presence.strategy`` says.

    Args:
        model: the model (its missing tokens or imputer, for ``token`` and ``impute``).
        embeddings: ``{m: (B, *e_m)}`` of the (zero-completed) inputs.
        masks: ``{m: (B,) bool}`` from :meth:`Presence.resolve`.
        presence: the strategy and, for ``mean``, the training means.

    Returns:
        ``{m: (B, *e_m)}`` with every absent example's embedding replaced (``drop``: by zeros;
        the fusion then leaves it out).
    """
    strategy = presence.strategy
    if strategy not in supported_strategies(model):
        raise ConfigError(f"strategy {strategy!r}: this {type(model.fusion).__name__} model does not support it; "
                          f"it supports {', '.join(supported_strategies(model))}")
    if strategy == "impute":
        flat = {m: e.flatten(1) for m, e in embeddings.items()}
        predicted = model.imputer(flat, masks)
    out = {}
    for m, e in embeddings.items():
        keep = masks[m].view(-1, *([1] * (e.dim() - 1)))
        if strategy in ("zero", "drop"):
            fill = torch.zeros_like(e)
        elif strategy == "mean":
            if presence.means is None or m not in presence.means:
                raise ConfigError(f"strategy 'mean' needs the training mean embedding of {m!r}; compute it with mean_embeddings")
            fill = presence.means[m].to(e).expand_as(e)
        elif strategy == "token":
            fill = model.missing_tokens[m].expand_as(e)
        else:
            fill = predicted[m].view_as(e)
        out[m] = torch.where(keep, e, fill)
    return out


def supported_strategies(model: "MultimodalModel") -> list[str]:
    """The strategies ``model`` can apply: ``zero`` and ``mean`` always; ``token`` with learned
    missing embeddings; ``drop`` when its fusion can leave a modality out; ``impute`` with an imputer."""
    supported = ["zero", "mean"]
    if getattr(model, "missing_tokens", None) is not None:
        supported.append("token")
    if getattr(model.fusion, "supports_drop", False):
        supported.append("drop")
    if getattr(model, "imputer", None) is not None:
        supported.append("impute")
    return supported


@torch.no_grad()
def mean_embeddings(model: "MultimodalModel", split, batch_size: int = 256) -> dict[str, torch.Tensor]:
    """The mean embedding of every modality over ``split`` (the training split): ``{m: (*e_m)}``."""
    from polymodal.data.loader import batch_loader

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    sums: dict[str, torch.Tensor] = {}
    n = 0
    for batch in batch_loader(split, batch_size):
        emb = model.encode({m: x.to(device) for m, x in batch["inputs"].items() if m in model.encoders})
        for m, e in emb.items():
            sums[m] = sums.get(m, 0) + e.sum(0)
        n += len(batch["label"])
    model.train(was_training)
    return {m: s / n for m, s in sums.items()}


@dataclass
class Missing:
    """Modalities removed from every example of an evaluation, and the strategy that fills them.

    Attributes:
        modalities: the absent modalities (their keys are dropped from the inputs).
        strategy: one of :data:`STRATEGIES`.
        means: the training mean embeddings (strategy ``mean``; :func:`mean_embeddings`).
    """

    modalities: Sequence[str]
    strategy: str
    means: Mapping[str, torch.Tensor] | None = None

    def __post_init__(self) -> None:
        check_strategy(self.strategy)

    def apply(self, inputs: Mapping[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], Presence]:
        """``(inputs without the absent modalities, the Presence that fills them)``."""
        return {m: x for m, x in inputs.items() if m not in self.modalities}, Presence(self.strategy, means=self.means)


def random_masks(modalities: Sequence[str], batch: int, drop_prob: float, generator: torch.Generator | None = None,
                 device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """Modality dropout: each modality of each example is absent with probability ``drop_prob``,
    and an example that would lose every modality keeps one chosen uniformly.

    Returns:
        ``{m: (B,) bool}``, ``True`` where present.
    """
    keep = torch.rand(batch, len(modalities), generator=generator) >= drop_prob
    empty = ~keep.any(1)
    if bool(empty.any()):
        pick = torch.randint(len(modalities), (int(empty.sum()),), generator=generator)
        keep[empty.nonzero().flatten(), pick] = True
    return {m: keep[:, i].to(device) for i, m in enumerate(modalities)}
