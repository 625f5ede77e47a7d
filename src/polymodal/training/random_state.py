"""Random states that survive an interruption: a resumed run continues as the uninterrupted one."""

from __future__ import annotations

import random
from typing import Any, Mapping

import lightning as L
import numpy as np
import torch


class RandomStateCheckpoint(L.Callback):
    """Saves, in every checkpoint, the state of each random generator training draws from, and
    restores it when a run resumes from that checkpoint.

    Without it a resumed run starts its generators from the seed again: the shuffling of epoch
    ``k + 1`` repeats that of epoch 0, and so do the augmentation's draws, dropout and modality
    dropout, so the resumed run ends elsewhere than the uninterrupted one. With it, a run
    interrupted after any epoch and resumed from ``last.ckpt`` gives the same weights as the run
    that never stopped (on one process, loader ``num_workers=0``: worker processes keep
    generators of their own).

    Saved: PyTorch's global generator (CPU, and CUDA when it is initialised), NumPy's and
    Python's global generators, and the generators given (the training loader's shuffling, the
    augmentation's draws, a balancing method's noise), each as tensors and integers only, so
    that checkpoints still load with ``torch.load(..., weights_only=True)``.

    Args:
        generators: ``{name: generator}``; a checkpoint restores those of the same names.
    """

    def __init__(self, generators: Mapping[str, torch.Generator] | None = None) -> None:
        self.generators = dict(generators or {})

    def state_dict(self) -> dict[str, Any]:
        kind, keys, position, has_gauss, gauss = np.random.get_state()
        version, state, next_gauss = random.getstate()
        saved: dict[str, Any] = {
            "torch": torch.get_rng_state(),
            "numpy": {"kind": str(kind), "keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position),
                      "has_gauss": int(has_gauss), "gauss": float(gauss)},
            "python": {"version": version, "state": list(state), "next_gauss": next_gauss},
            "generators": {name: g.get_state() for name, g in self.generators.items()},
        }
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            saved["cuda"] = torch.cuda.get_rng_state_all()
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch"])
        n = state_dict["numpy"]
        np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["position"], n["has_gauss"], n["gauss"]))
        p = state_dict["python"]
        random.setstate((p["version"], tuple(p["state"]), p["next_gauss"]))
        for name, state in state_dict["generators"].items():
            if name in self.generators:
                self.generators[name].set_state(state)
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
