"""Heterogeneity by transfer: the planted groups of ``hetero-groups``, resuming, the cost cap, bad input."""

import json

import numpy as np
import pytest

from polymodal.data.registry import load_dataset
from polymodal.errors import ConfigError
from polymodal.heterogeneity import HeterogeneitySettings, interaction_heterogeneity, modality_heterogeneity
from polymodal.heterogeneity import run_heterogeneity, transfer
from polymodal.heterogeneity.run import JSON_NAME

SMALL = HeterogeneitySettings(epochs=3, adapter_epochs=2, finetune_steps=5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hetero_groups_within_group_entries_are_smaller_and_the_groups_are_recovered(seed):
    ds = load_dataset("hetero-groups", seed=seed)
    result = modality_heterogeneity(ds, settings=HeterogeneitySettings(seed=seed))
    i = {n: k for k, n in enumerate(result.names)}
    within = [result.matrix[i["a"], i["b"]], result.matrix[i["c"], i["d"]]]
    across = [result.matrix[i[x], i[y]] for x in "ab" for y in "cd"]
    assert max(within) < min(across)
    assert sorted(map(sorted, result.groups)) == [["a", "b"], ["c", "d"]]
    assert np.allclose(result.matrix, result.matrix.T) and np.all(np.diag(result.matrix) == 0)


def test_the_command_files_hold_exactly_the_documented_keys_and_a_rerun_resumes(tmp_path, monkeypatch):
    ds = load_dataset("hetero-groups", num_samples=400)
    first = run_heterogeneity(ds, tmp_path, settings=SMALL)["modalities"]
    data = json.loads((tmp_path / JSON_NAME).read_text())
    assert list(data) == ["modalities", "matrix", "matrix_raw", "groups", "settings"]
    assert data["modalities"] == ["a", "b", "c", "d"] and np.allclose(data["matrix"], first.matrix)
    assert (tmp_path / "heterogeneity.png").stat().st_size > 0 and "Groups:" in (tmp_path / "report.md").read_text()

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(transfer, "train_steps", no_training)
    again = run_heterogeneity(ds, tmp_path, settings=SMALL)["modalities"]
    assert np.array_equal(again.matrix_raw, first.matrix_raw)
    assert again.seconds == first.seconds > 0  # the time of the runs themselves, not of the resumed call


def test_an_interrupted_run_resumes_to_the_same_matrix(tmp_path, monkeypatch):
    ds = load_dataset("hetero-groups", num_samples=400)
    whole = modality_heterogeneity(ds, settings=SMALL, run_dir=tmp_path / "whole")
    calls, real = {"n": 0}, transfer.TransferRuns.transfer

    def interrupted(self, source, target):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return real(self, source, target)

    monkeypatch.setattr(transfer.TransferRuns, "transfer", interrupted)
    with pytest.raises(KeyboardInterrupt):
        modality_heterogeneity(ds, settings=SMALL, run_dir=tmp_path / "cut")
    saved = json.loads((tmp_path / "cut" / "transfer.json").read_text())["runs"]
    assert len(saved) == 4 + 5  # four scratch runs, five transfers
    monkeypatch.setattr(transfer.TransferRuns, "transfer", real)
    resumed = modality_heterogeneity(ds, settings=SMALL, run_dir=tmp_path / "cut")
    assert np.allclose(resumed.matrix_raw, whole.matrix_raw, atol=1e-9)


def test_other_settings_do_not_resume_silently(tmp_path):
    ds = load_dataset("hetero-groups", num_samples=400)
    modality_heterogeneity(ds, settings=SMALL, run_dir=tmp_path)
    other = HeterogeneitySettings(epochs=4, adapter_epochs=2, finetune_steps=5)
    with pytest.raises(ConfigError, match="other settings"):
        modality_heterogeneity(ds, settings=other, run_dir=tmp_path)
    assert modality_heterogeneity(ds, settings=other, run_dir=tmp_path, resume=False).settings["settings"]["epochs"] == 4


def test_interaction_heterogeneity_over_pairs_and_its_cap():
    ds = load_dataset("hetero-groups", num_samples=400)
    result = interaction_heterogeneity(ds, settings=SMALL)
    assert result.names == ["a+b", "a+c", "a+d", "b+c", "b+d", "c+d"] and result.matrix.shape == (6, 6)
    assert len(result.runs) == 6 + 36
    with pytest.raises(ConfigError, match="42 transfer runs"):
        interaction_heterogeneity(ds, settings=SMALL, max_runs=41)
    with pytest.raises(ConfigError, match="at least 4 modalities"):
        interaction_heterogeneity(ds, ["a", "b", "c"], settings=SMALL)


def test_bad_input_is_named():
    ds = load_dataset("hetero-groups", num_samples=400)
    with pytest.raises(ConfigError, match="at least two modalities"):
        modality_heterogeneity(ds, ["a"], settings=SMALL)
    with pytest.raises(ConfigError, match="'e' is not a modality"):
        modality_heterogeneity(ds, ["a", "e"], settings=SMALL)
    with pytest.raises(ConfigError, match="twice"):
        modality_heterogeneity(ds, ["a", "a"], settings=SMALL)
    with pytest.raises(ConfigError, match="budget epochs"):
        HeterogeneitySettings(epochs=0)
    with pytest.raises(ConfigError, match="finetune_steps >= 1"):
        HeterogeneitySettings(finetune_steps=0)
    assert HeterogeneitySettings(finetune_steps=0, score="zero-shot").finetune_steps == 0
