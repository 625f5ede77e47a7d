"""Transfer between modalities through a shared trunk, as HighMMT measures heterogeneity.

A :class:`TransferModel` reads a *view* (one modality, or a pair for interaction heterogeneity):
each modality of the view has its own input adapter into a ``width``-sized space, the adapters'
outputs are summed, and a trunk (an MLP) predicts the label:

    f(x) = trunk( sum_{m in view} adapter_m(x_m) )

Summing makes a pair's model independent of the order of its modalities; with separate adapters
it is as expressive as concatenating and then mixing linearly.

Under a fixed :class:`HeterogeneitySettings` budget, for a source view S and a target view T:

1. *scratch*: a model trained on T for ``epochs`` epochs (also S's source model when T = S);
2. *zero-shot*: S's trunk, frozen, with new adapters for T fitted for ``adapter_epochs`` epochs;
3. *fine-tuned*: that model with every parameter trained for ``finetune_steps`` more steps.

Every phase that runs for epochs keeps the epoch whose cross-entropy on a held-out tenth of the
training split (``holdout``) is lowest: an overfitted model's overconfident errors would otherwise
make its V-information negative. Each model is scored on the validation split by V-information
(:mod:`.v_information`) and accuracy; the test split is left untouched, since the groups measured
here choose an architecture.
"""

from __future__ import annotations

import copy
import math
import zlib
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Literal, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polymodal.checks import positive_int
from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.errors import ConfigError
from polymodal.heterogeneity.v_information import null_log_probs, v_information
from polymodal.models.encoders import make_encoder

View = tuple[str, ...]
ADAPTERS = ("auto", "linear", "encoder")


@dataclass(frozen=True)
class HeterogeneitySettings:
    """The architecture and the fixed budget of every transfer run.

    Attributes:
        epochs: epochs of training from scratch (each source model, and the reference on each target).
        adapter_epochs: epochs of fitting the target's input adapters with the source trunk frozen (zero-shot).
        finetune_steps: optimiser steps of fine-tuning every parameter afterwards (0: zero-shot only).
        batch_size: samples per step.
        lr: Adam learning rate from scratch and of the adapters.
        finetune_lr: Adam learning rate of fine-tuning (lower: a few steps adjust, not overwrite, the transferred model).
        width: size of the adapters' output, the trunk's input.
        hidden_dim: size of the trunk's two hidden layers.
        adapter: ``"linear"`` (flatten, then one linear map: the trunk does all the processing),
            ``"encoder"`` (the modality kind's default encoder: an MLP, or a LeNet for images), or
            ``"auto"``: linear for vectors, the LeNet for images and spectrograms (a linear map of raw
            pixels into an MLP trunk overfits a 112 x 112 spectrogram).
        score: which transfer the matrix reports, ``"finetuned"`` or ``"zero-shot"``.
        holdout: share of the training split held out to choose the best epoch (0: keep the last).
        seed: seed of every initialisation and shuffle (each run derives its own from it).
    """

    epochs: int = 20
    adapter_epochs: int = 10
    finetune_steps: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    finetune_lr: float = 1e-4
    width: int = 64
    hidden_dim: int = 64
    adapter: Literal["auto", "linear", "encoder"] = "auto"
    score: Literal["finetuned", "zero-shot"] = "finetuned"
    holdout: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "adapter_epochs", "batch_size", "width", "hidden_dim"):
            positive_int(getattr(self, name), f"budget {name}")
        positive_int(self.finetune_steps, "budget finetune_steps", minimum=0)
        positive_int(self.seed, "seed", minimum=0)
        for name in ("lr", "finetune_lr"):
            lr = getattr(self, name)
            if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
                raise ConfigError(f"{name} must be a positive number, got {lr!r}")
        if not (isinstance(self.holdout, (int, float)) and 0 <= self.holdout < 0.5):
            raise ConfigError(f"holdout must be a share in [0, 0.5), got {self.holdout!r}")
        if self.adapter not in ADAPTERS:
            raise ConfigError(f"adapter {self.adapter!r} is unknown; choose from {', '.join(ADAPTERS)}")
        if self.score not in ("finetuned", "zero-shot"):
            raise ConfigError(f"score {self.score!r} is unknown; choose finetuned or zero-shot")
        if self.score == "finetuned" and self.finetune_steps == 0:
            raise ConfigError("score 'finetuned' needs finetune_steps >= 1; use score='zero-shot' for no fine-tuning")

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        return asdict(self)


def make_adapter(spec: ModalitySpec, settings: HeterogeneitySettings) -> nn.Module:
    """The input adapter of one modality: ``(B, *shape) -> (B, width)``."""
    if settings.adapter == "encoder" or (settings.adapter == "auto" and spec.kind != "vector"):
        return make_encoder(spec, settings.width, settings.hidden_dim)
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(spec.shape), settings.width))


def make_trunk(settings: HeterogeneitySettings, num_classes: int) -> nn.Sequential:
    """The shared trunk ``(B, width) -> (B, num_classes)``: linear, ReLU, linear, ReLU, linear."""
    h = settings.hidden_dim
    return nn.Sequential(nn.Linear(settings.width, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, num_classes))


class TransferModel(nn.Module):
    """``trunk(sum_m adapter_m(x_m))``: ``{m: (B, *shape_m)} -> (B, num_classes)`` logits.

    Args:
        adapters: ``{modality: module (B, *shape_m) -> (B, width)}``, the modalities of the view.
        trunk: ``(B, width) -> (B, num_classes)``.
    """

    def __init__(self, adapters: Mapping[str, nn.Module], trunk: nn.Module) -> None:
        super().__init__()
        self.adapters = nn.ModuleDict(dict(adapters))
        self.trunk = trunk

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)``."""
        return self.trunk(sum(adapter(inputs[m]) for m, adapter in self.adapters.items()))


def run_seed(seed: int, key: str) -> int:
    """A seed for the run called ``key``, fixed by ``seed`` and the key alone (not by the run order)."""
    return (seed * 1_000_003 + zlib.crc32(key.encode())) % 2**31


def train_steps(model: nn.Module, parameters: Iterable[nn.Parameter], split: MultimodalSplit,
                settings: HeterogeneitySettings, generator: torch.Generator, *, epochs: int | None = None,
                steps: int | None = None, holdout: MultimodalSplit | None = None, lr: float | None = None) -> None:
    """Adam on the cross-entropy of ``model`` over shuffled batches of ``split``, for ``epochs`` epochs or ``steps`` steps.

    With ``holdout`` (and ``epochs``) the model ends with the weights of the epoch of lowest
    cross-entropy on ``holdout``. ``lr`` defaults to ``settings.lr``.
    """
    optimiser = torch.optim.Adam(list(parameters), lr=settings.lr if lr is None else lr)
    loader = batch_loader(split, settings.batch_size, shuffle=True, generator=generator)
    best, best_state = math.inf, None
    done, epoch = 0, 0
    while (epochs is not None and epoch < epochs) or (steps is not None and done < steps):
        model.train()
        for batch in loader:
            optimiser.zero_grad(set_to_none=True)
            F.cross_entropy(model(batch["inputs"]), batch["label"]).backward()
            optimiser.step()
            done += 1
            if steps is not None and done >= steps:
                return
        epoch += 1
        if holdout is not None and epochs is not None:
            loss = held_out_loss(model, holdout)
            if loss < best:
                best, best_state = loss, copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)


@torch.inference_mode()
def logits_of(model: nn.Module, split: MultimodalSplit) -> Tensor:
    """``(N, num_classes)`` logits of ``model`` on every sample of ``split``, in order, in eval mode.

    :func:`polymodal.training.predict_logits` does the same, but importing it loads Lightning (3 s
    of a 10 s command); these models never leave the CPU process that trains them.
    """
    model.eval()
    return torch.cat([model(b["inputs"]) for b in batch_loader(split, 1024)])


def held_out_loss(model: nn.Module, split: MultimodalSplit) -> float:
    """Mean cross-entropy (nats) of ``model`` on ``split``."""
    return float(F.cross_entropy(logits_of(model, split), split.labels)) if len(split) else 0.0


def split_holdout(split: MultimodalSplit, share: float, seed: int) -> tuple[MultimodalSplit, MultimodalSplit | None]:
    """``(fit, holdout)``: a seeded random ``share`` of ``split`` held out (``None`` when the share is 0).

    When a modality is a bank of items shared between samples (AV-MNIST's recordings), whole
    items are held out, so that no held-out sample repeats an item the model was fitted on.
    """
    n = len(split)
    generator = torch.Generator().manual_seed(seed)
    if split.rows:
        items = next(iter(split.rows.values()))
        ids = torch.unique(items)
        chosen = ids[torch.randperm(len(ids), generator=generator)[: int(round(share * len(ids)))]]
        out = torch.isin(items, chosen)
    else:
        out = torch.zeros(n, dtype=torch.bool)
        out[torch.randperm(n, generator=generator)[: int(round(share * n))]] = True
    if not out.any() or out.all():
        return split, None
    return split.subset(torch.nonzero(~out).squeeze(1)), split.subset(torch.nonzero(out).squeeze(1))


def score(model: nn.Module, split: MultimodalSplit, null: Tensor) -> dict[str, float]:
    """``{"bits": I_V(X -> Y), "accuracy": ...}`` of ``model`` on ``split``."""
    logits = logits_of(model, split)
    return {"bits": v_information(logits.log_softmax(-1), split.labels, null),
            "accuracy": float((logits.argmax(-1) == split.labels).double().mean()) if len(split) else 0.0}


def view_key(view: View) -> str:
    """``("a", "b") -> "a+b"``."""
    return "+".join(view)


class TransferRuns:
    """The scratch and transfer runs of a set of views over one data set, each run done once.

    Args:
        dataset: the data set; its train split fits (less the ``holdout`` share), its validation split scores.
        settings: architecture and budget.
        on_source: called with ``(key, state_dict)`` after each source model is trained (to save it).
        load_source: returns a saved ``state_dict`` for a key, or ``None`` to train it.
    """

    def __init__(self, dataset: MultimodalDataset, settings: HeterogeneitySettings,
                 on_source: Callable[[str, dict], None] | None = None,
                 load_source: Callable[[str], dict | None] | None = None) -> None:
        self.dataset, self.settings = dataset, settings
        self.null = null_log_probs(dataset.splits["train"].labels, dataset.num_classes)
        self._on_source, self._load_source = on_source, load_source
        self._sources: dict[str, TransferModel] = {}
        self._fit, self._holdout = split_holdout(dataset.splits["train"], settings.holdout, settings.seed)

    def _model(self, view: View, key: str) -> TransferModel:
        specs = self.dataset.modalities
        with torch.random.fork_rng(devices=[]):  # seeded per run, leaving the caller's global generator as it was
            torch.manual_seed(run_seed(self.settings.seed, key))
            return TransferModel({m: make_adapter(specs[m], self.settings) for m in view},
                                 make_trunk(self.settings, self.dataset.num_classes))

    def _split(self, name: str, view: View) -> MultimodalSplit | None:
        split = {"fit": self._fit, "holdout": self._holdout}.get(name, self.dataset.splits.get(name))
        return None if split is None else split.select(list(view))

    def source(self, view: View) -> TransferModel:
        """The model trained from scratch on ``view`` (trained once, then reused)."""
        key = view_key(view)
        if key not in self._sources:
            model = self._model(view, f"scratch:{key}")
            state = self._load_source(key) if self._load_source else None
            if state is not None:
                model.load_state_dict(state)
            else:
                generator = torch.Generator().manual_seed(run_seed(self.settings.seed, f"scratch:{key}"))
                train_steps(model, model.parameters(), self._split("fit", view), self.settings, generator,
                            epochs=self.settings.epochs, holdout=self._split("holdout", view))
                if self._on_source:
                    self._on_source(key, model.state_dict())
            self._sources[key] = model
        return self._sources[key]

    def scratch(self, view: View) -> dict[str, float]:
        """Scores of the model trained from scratch on ``view``."""
        return score(self.source(view), self._split("val", view), self.null)

    def transfer(self, source: View, target: View) -> dict[str, float]:
        """``{"zero_shot_bits", "zero_shot_accuracy", "finetuned_bits", "finetuned_accuracy"}`` of source -> target."""
        key = f"{view_key(source)}->{view_key(target)}"
        model = self._model(target, key)
        model.trunk.load_state_dict(self.source(source).trunk.state_dict())
        generator = torch.Generator().manual_seed(run_seed(self.settings.seed, key))
        train, holdout, val = self._split("fit", target), self._split("holdout", target), self._split("val", target)
        model.trunk.requires_grad_(False)
        train_steps(model, model.adapters.parameters(), train, self.settings, generator,
                    epochs=self.settings.adapter_epochs, holdout=holdout)
        model.trunk.requires_grad_(True)
        out = {f"zero_shot_{k}": v for k, v in score(model, val, self.null).items()}
        if self.settings.finetune_steps:
            train_steps(model, model.parameters(), train, self.settings, generator, steps=self.settings.finetune_steps,
                        lr=self.settings.finetune_lr)
            out.update({f"finetuned_{k}": v for k, v in score(model, val, self.null).items()})
        return out


def check_views(dataset: MultimodalDataset, modalities: Sequence[str] | None) -> list[str]:
    """The modalities to measure (default: all of ``dataset``), at least two, each known, none twice."""
    names = list(dataset.modalities) if modalities is None else list(modalities)
    unknown = [m for m in names if m not in dataset.modalities]
    if unknown:
        raise ConfigError(f"modalities: {unknown[0]!r} is not a modality of {dataset.name!r}; "
                          f"it has {', '.join(dataset.modalities)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"modalities: {names} names a modality twice")
    if len(names) < 2:
        raise ConfigError(f"heterogeneity needs at least two modalities, got {names}; "
                          f"{dataset.name!r} has {', '.join(dataset.modalities)}")
    return names
