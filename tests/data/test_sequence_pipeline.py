"""A sequence modality through training, EMAP, PID and coordination."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polymodal.data.arrays import from_arrays
from polymodal.interactions.emap import model_emap, naive_emap
from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.training.pipeline import TrainConfig


@pytest.fixture(scope="module")
def seq_data():
    """Label = sign of the mean of a variable-length sequence, xor a bit in a vector view."""
    rng = np.random.default_rng(0)
    n, t = 240, 12
    lengths = rng.integers(2, t + 1, size=n)
    seq = np.zeros((n, t, 2), dtype=np.float32)
    shift = rng.choice([-1.0, 1.0], size=n)
    for i, L in enumerate(lengths):
        seq[i, :L] = rng.normal(size=(L, 2)) * 0.5 + shift[i]
    bit = rng.integers(0, 2, size=n)
    vec = np.stack([bit + rng.normal(size=n) * 0.1, rng.normal(size=n)], axis=1)
    label = ((shift > 0).astype(int) ^ bit).astype(int)
    return from_arrays({"seq": seq, "vec": vec}, label, lengths={"seq": lengths}, seed=0)


@pytest.mark.parametrize("fusion", ["early", "transformer", "late"])
def test_model_emap_equals_naive_emap_with_a_padded_sequence(seq_data, fusion):
    """EMAP by encoding once equals EMAP running the whole model on every recombined padded example."""
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(seq_data, fusion)).eval()
    test = seq_data.splits["test"]
    inputs = {m: test.modality(m)[:20] for m in seq_data.modalities}
    fast, slow = model_emap(model, inputs), naive_emap(model, inputs)
    torch.testing.assert_close(fast.projected, slow.projected, atol=1e-5, rtol=1e-5)


def test_sequence_model_learns_the_interaction(seq_data, tmp_path):
    from polymodal.training.pipeline import fit

    result = fit(seq_data, ModelConfig.for_dataset(seq_data, "early", sequence_encoder="gru"),
                 TrainConfig(epochs=25, batch_size=32, seed=0, patience=25), tmp_path / "run", progress_bar=False)
    assert result["test_accuracy"] >= 0.8  # xor of the two views: neither alone beats chance


def test_pid_of_a_sequence_and_a_vector(seq_data):
    from polymodal.information.dataset_pid import dataset_pid

    est = dataset_pid(seq_data, estimator="cluster", reduce="pca", n_clusters=2, n_components=2, split="train")
    p = est.pid
    # the label is the xor of the two views: synergy carries most of the information
    assert p.synergy > max(p.redundancy, p.unique1, p.unique2)
    assert p.redundancy + p.unique1 + p.unique2 + p.synergy == pytest.approx(p.mutual_information, abs=1e-6)


def test_contrastive_coordination_with_a_sequence(seq_data, tmp_path):
    from polymodal.coordination.run import coordinate

    result = coordinate(seq_data, "contrastive", tmp_path / "c", k=2,
                        train_config=TrainConfig(epochs=2, batch_size=32, seed=0), progress_bar=False)
    assert result["config"]["modalities"][0]["kind"] == "sequence"
    cca = coordinate(seq_data, "cca", tmp_path / "cca", k=2, progress_bar=False)
    assert len(cca["test_correlations"]) == 2


def test_a_sequence_is_augmented_in_training_by_the_spectrogram_mask_names(seq_data, tmp_path):
    """One recipe (`audio=freq-mask:0.15`) masks audio as a spectrogram or as a sequence of frames."""
    from polymodal.robustness.corrupt import corruptor_of_chains
    from polymodal.training.pipeline import fit

    split = seq_data.splits["train"]
    batch = {"inputs": {m: split.modality(m)[:16] for m in seq_data.modalities}, "index": torch.arange(16)}
    corruptor = corruptor_of_chains(seq_data, {"seq": [("time-mask", 0.5), ("freq-mask", 0.5)]})
    out = corruptor(split, batch, torch.Generator().manual_seed(0))
    x, y = batch["inputs"]["seq"], out["seq"]
    assert torch.equal(y.lengths, x.lengths) and not torch.equal(y.values, x.values)
    assert torch.equal(out["vec"], batch["inputs"]["vec"])
    result = fit(seq_data, ModelConfig.for_dataset(seq_data, "early", sequence_encoder="gru"),
                 TrainConfig(epochs=1, batch_size=32, seed=0, augment={"seq": "time-mask:0.2+freq-mask:0.5"}),
                 tmp_path / "run", progress_bar=False)
    assert result["train_config"]["augment"] == {"seq": "time-mask:0.2+freq-mask:0.5"}
