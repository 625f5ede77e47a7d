"""A run continues only with the settings it was trained with; anything else is refused before training."""

import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.models import ModelConfig
from polymodal.training import TrainConfig, fit
from polymodal.training.resume_check import CHECKPOINT_KEY, settings_changes


def interrupted(digits, tmp_path, **train):
    """A run of 2 epochs (its last.ckpt is what an interruption leaves), with ``train`` settings."""
    config = ModelConfig.for_dataset(digits, "early")
    fit(digits, config, TrainConfig(epochs=2, patience=10, accelerator="cpu", **train), tmp_path, progress_bar=False)
    return config


@pytest.mark.parametrize("change,named", [({"lr": 3e-3}, "lr: 0.001 there, 0.003 now"),
                                          ({"optimizer": "sgd"}, "optimizer: 'adam' there, 'sgd' now"),
                                          ({"batch_size": 32}, "batch_size: 64 there, 32 now"),
                                          ({"augment": {"top": "gaussian:0.2"}}, "augment: {} there")])
def test_a_resume_with_other_training_settings_is_refused_naming_them(digits, tmp_path, change, named):
    config = interrupted(digits, tmp_path)
    before = (tmp_path / "checkpoints" / "last.ckpt").stat().st_mtime_ns
    with pytest.raises(ConfigError, match="holds a run stopped after epoch 1 with other settings") as error:
        fit(digits, config, TrainConfig(epochs=4, patience=10, accelerator="cpu", **change), tmp_path, progress_bar=False)
    assert named in str(error.value) and "--no-resume" in str(error.value)
    assert (tmp_path / "checkpoints" / "last.ckpt").stat().st_mtime_ns == before  # nothing was trained
    fresh = fit(digits, config, TrainConfig(epochs=1, accelerator="cpu", **change), tmp_path, progress_bar=False,
                resume=False)
    assert fresh["resumed_from"] is None


def test_a_resume_with_another_model_is_refused(digits, tmp_path):
    interrupted(digits, tmp_path)
    other = ModelConfig.for_dataset(digits, "early", embed_dim=16)
    with pytest.raises(ConfigError, match="model_config.embed_dim: 64 there, 16 now"):
        fit(digits, other, TrainConfig(epochs=4, accelerator="cpu"), tmp_path, progress_bar=False)


def test_a_model_field_the_checkpoint_predates_is_read_as_its_old_behaviour(digits, tmp_path):
    config = interrupted(digits, tmp_path)
    path = tmp_path / "checkpoints" / "last.ckpt"
    saved = torch.load(path, map_location="cpu", weights_only=False)
    del saved["hyper_parameters"]["model_config"]["tokenizer"]  # saved before the field existed
    torch.save(saved, path)
    with pytest.raises(ConfigError, match="model_config.tokenizer: 'patch' there, 'conv-stem' now"):
        fit(digits, ModelConfig.for_dataset(digits, "early", tokenizer="conv-stem"), TrainConfig(epochs=3, accelerator="cpu"),
            tmp_path, progress_bar=False)
    again = fit(digits, config, TrainConfig(epochs=3, accelerator="cpu"), tmp_path, progress_bar=False)
    assert again["resumed_from"] and again["epochs"] == 3


def test_where_it_runs_how_patient_it_is_and_more_epochs_at_a_constant_rate_may_change(digits, tmp_path):
    config = interrupted(digits, tmp_path)
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert saved[CHECKPOINT_KEY]["lr"] == 1e-3 and saved[CHECKPOINT_KEY]["epochs"] == 2
    again = fit(digits, config, TrainConfig(epochs=3, patience=5, num_workers=0, accelerator="cpu"), tmp_path,
                progress_bar=False)
    assert again["resumed_from"] and again["epochs"] == 3


def test_epochs_are_part_of_a_cosine_schedule():
    cosine = {"lr_schedule": "cosine", "epochs": 30, "patience": 8}
    assert settings_changes(cosine, {**cosine, "epochs": 40}) == ["epochs: 30 there, 40 now"]
    assert settings_changes({**cosine, "lr_schedule": "constant"}, {**cosine, "lr_schedule": "constant", "epochs": 40}) == []
    assert settings_changes(cosine, {**cosine, "patience": 3, "new_field": 1}) == []  # a field the checkpoint predates


def test_a_checkpoint_whose_state_lacks_an_entry_of_the_model_is_refused(digits, tmp_path):
    """A last.ckpt from before AGM kept its running mean in checkpoints lacks that entry: the
    resume is refused with one line instead of Lightning's missing-key traceback."""
    config = interrupted(digits, tmp_path, balance="agm")
    path = tmp_path / "checkpoints" / "last.ckpt"
    saved = torch.load(path, map_location="cpu", weights_only=True)
    del saved["state_dict"]["balancer._extra_state"]
    torch.save(saved, path)
    with pytest.raises(ConfigError, match=r"does not match this model's \(entries in one and not the other: 'balancer._extra_state'\)"):
        fit(digits, config, TrainConfig(epochs=3, patience=10, accelerator="cpu", balance="agm"), tmp_path,
            progress_bar=False)
