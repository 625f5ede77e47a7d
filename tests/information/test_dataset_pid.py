import pytest

from polymodal.data import load_dataset
from polymodal.errors import ConfigError
from polymodal.information.dataset_pid import dataset_pid, model_pid
from polymodal.models.build import ModelConfig
from polymodal.training.checkpoint import load_model
from polymodal.training.pipeline import TrainConfig, fit


def dominant(estimate) -> str:
    terms = estimate.pid.as_dict()
    return max(("R", "U1", "U2", "S"), key=terms.get)


@pytest.mark.slow
@pytest.mark.parametrize("name, expected", [("latent-redundancy", "R"), ("latent-unique1", "U1"),
                                            ("latent-unique2", "U2"), ("latent-synergy", "S")])
def test_learned_reduction_recovers_the_dominant_interaction(name, expected, tmp_path):
    estimate = dataset_pid(load_dataset(name), run_dir=tmp_path)
    assert dominant(estimate) == expected, estimate.pid
    assert estimate.pid.as_dict()[expected] > 0.6  # of the 1 bit the label carries
    assert estimate.settings["reduce"] == "learned" and estimate.num_samples == 4000


def test_bits_need_no_reduction():
    estimate = dataset_pid(load_dataset("bits-xor"))
    assert estimate.pid.synergy == pytest.approx(1.0, abs=0.01)
    assert estimate.settings["reduce"].startswith("none")


@pytest.mark.slow
def test_model_pid_of_a_model_that_reads_one_modality(tmp_path):
    """Predictions that are a function of x1 alone have U2 + S = I(Y_hat; X2 | X1) = 0."""
    ds = load_dataset("latent-redundancy", num_samples=6000)
    config = ModelConfig.for_dataset(ds.select(["x1"]), "unimodal", embed_dim=8, hidden_dim=32)
    result = fit(ds.select(["x1"]), config, TrainConfig(epochs=3, seed=0), tmp_path / "x1", progress_bar=False)
    estimate = model_pid(load_model(result["checkpoint"]), ds, run_dir=tmp_path / "reduction")
    terms = estimate.pid.as_dict()
    assert terms["U2"] < 0.05 and terms["S"] < 0.1
    assert terms["R"] + terms["U1"] > 0.5  # I(Y_hat; X1): the model's balanced predictions
    assert estimate.settings["target"] == "model predictions"


def test_errors_name_the_problem():
    ds = load_dataset("bits-and")
    with pytest.raises(ConfigError, match="estimator 'mine' is unknown"):
        dataset_pid(ds, estimator="mine")
    with pytest.raises(ConfigError, match="reduce 'tsne' is unknown"):
        dataset_pid(ds, reduce="tsne")
    with pytest.raises(ConfigError, match="exactly two modalities"):
        dataset_pid(ds, modalities=["x1"])
    with pytest.raises(ConfigError, match="no 'holdout' split"):
        dataset_pid(ds, split="holdout")
