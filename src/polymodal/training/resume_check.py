"""Resume only the run that was interrupted: a checkpoint records the settings it was trained with,
and continuing it with other settings is refused before any training.

Without the check, ``--out`` pointing at a run of another optimizer, learning rate or augmentation
would silently continue it under the new settings, a run that matches neither.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

import lightning as L

from polymodal.errors import ConfigError
from polymodal.models.build import BEFORE_RECIPE_FIELDS
from polymodal.training.config import TrainConfig

#: where a checkpoint keeps its TrainConfig
CHECKPOINT_KEY = "polymodal_train_config"
#: settings a resumed run may change: where it runs, and how long it waits for an improvement
MAY_CHANGE = frozenset({"accelerator", "devices", "strategy", "num_nodes", "num_workers", "patience"})


class RecordTrainConfig(L.Callback):
    """Writes the run's :class:`TrainConfig` into every checkpoint it saves (under :data:`CHECKPOINT_KEY`)."""

    def __init__(self, train_config: TrainConfig) -> None:
        self.settings = asdict(train_config)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        checkpoint[CHECKPOINT_KEY] = self.settings


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def settings_changes(saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """``"name: A there, B now"`` for each setting of both ``saved`` and ``now`` that differs (a
    setting the checkpoint predates is not compared).

    ``epochs`` may change under a constant learning rate (training for longer), not under a
    schedule that depends on it; :data:`MAY_CHANGE` may always change.
    """
    saved, now = _plain(dict(saved)), _plain(dict(now))
    constant = saved.get("lr_schedule", "constant") == "constant" and now.get("lr_schedule", "constant") == "constant"
    free = MAY_CHANGE | ({"epochs"} if constant else set())
    return [f"{k}: {saved[k]!r} there, {now[k]!r} now" for k in sorted(set(saved) & set(now))
            if k not in free and saved[k] != now[k]]


def check_resumable(checkpoint: Mapping[str, Any], path: str | Path, module: L.LightningModule,
                    train_config: TrainConfig) -> None:
    """Refuse to continue the run saved in ``checkpoint`` with other settings.

    Compares the module's hyperparameters (the model's configuration, optimizer, rate, schedule,
    seed) and, in checkpoints that record it, the whole :class:`TrainConfig` (batch size, clipping,
    augmentation).

    Args:
        checkpoint: the loaded ``last.ckpt``.
        path: its file, for the message.
        module: the module about to be trained.
        train_config: the settings about to be used.

    Raises:
        ConfigError: naming each setting that differs, and what to do.
    """
    saved, now = dict(checkpoint.get("hyper_parameters", {})), dict(module.hparams)
    changes = []
    if isinstance(saved.get("model_config"), Mapping) and isinstance(now.get("model_config"), Mapping):
        # field by field, a field the checkpoint predates read as the behaviour it had then
        changes += [f"model_config.{c}" for c in settings_changes({**BEFORE_RECIPE_FIELDS, **saved.pop("model_config")},
                                                                   {**BEFORE_RECIPE_FIELDS, **now.pop("model_config")})]
    changes += settings_changes(saved, now)
    if CHECKPOINT_KEY in checkpoint:
        changes += [c for c in settings_changes(checkpoint[CHECKPOINT_KEY], asdict(train_config))
                    if c.split(":")[0] not in checkpoint.get("hyper_parameters", {})]
    run = Path(path).parent.parent
    if changes:
        raise ConfigError(f"--out: {run} holds a run stopped after epoch {checkpoint.get('epoch', '?')} with other settings "
                          f"({'; '.join(changes)}); give the same settings to resume it, or use another --out "
                          "(or --no-resume) to start afresh")
    saved_state = checkpoint.get("state_dict")
    differ = sorted(set(saved_state) ^ set(module.state_dict())) if isinstance(saved_state, Mapping) else []
    if differ:
        named = ", ".join(map(repr, differ[:3])) + (", ..." if len(differ) > 3 else "")
        raise ConfigError(f"--out: {run} holds a run whose saved state does not match this model's (entries in one "
                          f"and not the other: {named}): it was written by another version of polymodal; use another "
                          "--out (or --no-resume) to start afresh")
