"""Applying perturbations to batches of a split: per modality, at a level, with the split's waveforms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import torch

from polymodal.data.padded import Padded
from polymodal.data.dataset import MultimodalDataset, MultimodalSplit
from polymodal.errors import ConfigError
from polymodal.robustness.perturbations import PerturbContext, Perturbation, check_level, get_perturbation


@dataclass(frozen=True)
class Corruption:
    """One modality perturbed at one level."""

    modality: str
    perturbation: Perturbation
    level: float

    def __post_init__(self) -> None:
        check_level(self.level, f"level of {self.modality!r}")


def perturb_context(split: MultimodalSplit, modality: str) -> PerturbContext:
    """What a perturbation of ``modality`` may know from the training split: per-feature mean and std of
    vectors (of a sequence, over its true steps)."""
    x = split.modality(modality)
    if isinstance(x, Padded):  # a sequence: statistics of its true steps
        if not x.values.is_floating_point():
            return PerturbContext()
        steps = x.values[x.mask]
        return PerturbContext(feature_mean=steps.mean(0), feature_std=steps.std(0))
    if x.dim() != 2:
        return PerturbContext()
    return PerturbContext(feature_mean=x.mean(0), feature_std=x.std(0))


class Corruptor:
    """Perturbs each batch of a split: a callable for :func:`polymodal.training.evaluate.evaluate`
    and for training-time augmentation.

    A perturbation that acts on waveforms is applied to a split's recordings (the examples'
    own rows of its :class:`~polymodal.data.waveforms.WaveformSource`) and passed through the
    front end that made the inputs; on a split without recordings it acts on the input itself.

    Args:
        corruptions: the modalities to perturb, each with its perturbation and level.
        contexts: ``{m: PerturbContext}`` from the training split (see :func:`perturb_context`).
    """

    def __init__(self, corruptions: Sequence[Corruption], contexts: Mapping[str, PerturbContext] | None = None) -> None:
        self.corruptions = list(corruptions)
        self.contexts = dict(contexts or {})
        self.scale = 1.0  # multiplies every level (a training schedule sets it per epoch)

    def __call__(self, split: MultimodalSplit, batch: dict[str, Any], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """``batch["inputs"]`` with the corrupted modalities replaced.

        A modality's perturbations act in order; those on waveforms act first, on its recordings, which
        then pass the front end once, and the others on what the front end made.
        """
        inputs = dict(batch["inputs"])
        for m in dict.fromkeys(c.modality for c in self.corruptions):
            chain = [c for c in self.corruptions if c.modality == m and c.level * self.scale != 0.0]
            if m not in inputs or not chain:
                continue
            context = self.contexts.get(m)
            recorded = m in split.waveforms
            on_waveform = [c for c in chain if recorded and c.perturbation.on_waveform]
            on_input = [c for c in chain if not (recorded and c.perturbation.on_waveform)]
            if on_waveform:
                noisy = split.waveforms_at(m, batch["index"])
                for c in on_waveform:
                    noisy = c.perturbation(noisy, c.level * self.scale, generator, context)
                inputs[m] = split.waveforms[m].front_end(noisy).to(inputs[m])
            for c in on_input:
                inputs[m] = c.perturbation(inputs[m], c.level * self.scale, generator, context)
        return inputs


def corruptor_for(dataset: MultimodalDataset, levels: Mapping[str, float], names: Mapping[str, str] | None = None,
                  argument: str = "--perturbation") -> Corruptor:
    """A :class:`Corruptor` perturbing each modality of ``levels`` at its level, by the perturbation
    ``names[m]`` (default: its kind's, :data:`~polymodal.robustness.perturbations.DEFAULT_PERTURBATION`).

    Raises:
        ConfigError: an unknown modality, a perturbation unknown for the kind, or a level outside [0, 1].
    """
    names = dict(names or {})
    return corruptor_of_chains(dataset, {m: [(names.get(m), level)] for m, level in levels.items()}, argument)


def corruptor_of_chains(dataset: MultimodalDataset, chains: Mapping[str, Sequence[tuple[str | None, float]]],
                        argument: str = "--augment") -> Corruptor:
    """A :class:`Corruptor` applying to each modality its chain of ``(perturbation, level)`` in order
    (``None``: the kind's default), e.g. :func:`parse_augment`'s ``{"audio": [("time-mask", 0.15),
    ("freq-mask", 0.15)]}``.

    Raises:
        ConfigError: an unknown modality, a perturbation unknown for the kind, or a level outside [0, 1].
    """
    check_modalities(chains, dataset, argument)
    corruptions = [Corruption(m, get_perturbation(dataset.modalities[m].kind, name, argument), level)
                   for m, chain in chains.items() for name, level in chain]
    return Corruptor(corruptions, {m: perturb_context(dataset.splits["train"], m) for m in chains})


def parse_augment(spec: str | Mapping[str, str] | None) -> dict[str, list[tuple[str, float]]]:
    """Each modality's chain of perturbations, applied in order.

    ``"image=gaussian:0.3,audio=time-mask:0.15+freq-mask:0.15"`` (or its dict,
    ``{"audio": "time-mask:0.15+freq-mask:0.15"}``) -> ``{"image": [("gaussian", 0.3)],
    "audio": [("time-mask", 0.15), ("freq-mask", 0.15)]}``.

    Raises:
        ConfigError: an item is not ``MODALITY=PERTURBATION:LEVEL[+PERTURBATION:LEVEL...]``, or a level is outside [0, 1].
    """
    if not spec:
        return {}
    items = spec.items() if isinstance(spec, Mapping) else (i.partition("=")[::2] for i in spec.split(",") if i.strip())
    out: dict[str, list[tuple[str, float]]] = {}
    for m, rest in items:
        chain = []
        for step in str(rest).split("+"):
            name, sep, level = step.partition(":")
            if not m.strip() or not name.strip() or not sep:
                raise ConfigError(f"--augment: {m}={rest} is not MODALITY=PERTURBATION:LEVEL, e.g. image=gaussian:0.3 "
                                  "(several in order: audio=time-mask:0.15+freq-mask:0.15)")
            chain.append((name.strip(), check_level(level, f"--augment level of {m.strip()!r}")))
        out[m.strip()] = chain
    return out


def format_augment(chains: Mapping[str, Sequence[tuple[str, float]]]) -> dict[str, str]:
    """:func:`parse_augment`'s inverse, in TrainConfig's form: ``{"audio": "time-mask:0.15+freq-mask:0.15"}``."""
    return {m: "+".join(f"{name}:{level:g}" for name, level in chain) for m, chain in chains.items()}


def augment_of_subset(augment: Mapping[str, str], dataset: MultimodalDataset, modalities: Sequence[str]) -> dict[str, str]:
    """The part of ``augment`` (``{modality: "PERTURBATION:LEVEL"}``) that applies when only
    ``modalities`` of ``dataset`` are trained: a unimodal baseline is augmented on its own modality.

    Raises:
        ConfigError: ``augment`` names a modality ``dataset`` does not have.
    """
    check_modalities(augment, dataset, "--augment")
    return {m: v for m, v in augment.items() if m in modalities}


def check_modalities(names: Iterable[str], dataset: MultimodalDataset, argument: str) -> None:
    """Raise a one-line :class:`ConfigError` naming ``argument`` if a name is not a modality of ``dataset``."""
    for m in names:
        if m not in dataset.modalities:
            raise ConfigError(f"{argument}: modality {m!r} is not in data set {dataset.name!r} ({', '.join(dataset.modalities)})")
