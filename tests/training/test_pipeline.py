import json

import numpy as np
import pytest
import torch

from polymodal.errors import ConfigError, DataFileError
from polymodal.models import ModelConfig
from polymodal.training import TrainConfig, fit, load_model, predict_logits


@pytest.fixture(scope="module")
def trained(digits, tmp_path_factory):
    run = tmp_path_factory.mktemp("fit")
    config = ModelConfig.for_dataset(digits, "early")
    result = fit(digits, config, TrainConfig(epochs=6, seed=0, accelerator="cpu"), run, progress_bar=False)
    return run, result


def test_short_training_learns_and_reports_everything(trained, digits):
    run, result = trained
    assert result["test_accuracy"] > 0.8  # chance is 0.1
    assert result["test_samples"] == len(digits.splits["test"])
    assert result["parameters"] == sum(p.numel() for p in load_model(result["checkpoint"]).parameters())
    for key in ("train_time_s", "peak_memory_mib", "inference_time_per_sample_s"):
        assert result[key] > 0
    assert json.loads((run / "result.json").read_text())["test_accuracy"] == result["test_accuracy"]
    assert (run / "checkpoints" / "best.ckpt").is_file() and (run / "checkpoints" / "last.ckpt").is_file()


def test_a_result_records_the_versions_it_was_computed_with(trained):
    import platform

    import numpy
    import sklearn

    env = json.loads((trained[0] / "result.json").read_text())["environment"]
    assert env["torch"] == torch.__version__ and env["numpy"] == numpy.__version__
    assert env["scikit-learn"] == sklearn.__version__ and env["python"] == platform.python_version()
    assert env["device"] == "cpu" and env["polymodal"] is not None
    assert env["cpu_kernels"] in {"DEFAULT", "VSX", "Z VECTOR", "NO AVX", "AVX2", "AVX512", "SVE256", "SVE"}


def test_a_result_records_the_machine_and_boot_it_was_timed_on(trained):
    from pathlib import Path

    host = json.loads((trained[0] / "result.json").read_text())["host"]
    assert set(host) == {"cpu", "boot"}
    boot_id = Path("/proc/sys/kernel/random/boot_id")
    assert host["boot"] == (boot_id.read_text().strip() if boot_id.is_file() else None)
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.is_file() else [])
              if line.startswith("model name")]
    if models:  # Linux on x86: the processor's model name as the kernel reports it
        assert host["cpu"] == models[0]


def test_reloaded_checkpoint_gives_identical_predictions(trained, digits):
    run, result = trained
    model = load_model(run / "checkpoints" / "best.ckpt")
    logits = predict_logits(model, digits.splits["test"])
    table = np.loadtxt(run / "test_predictions.csv", delimiter=",", skiprows=1, dtype=np.int64)
    assert table[:, 0].tolist() == list(range(len(digits.splits["test"])))
    assert np.array_equal(logits.argmax(1).numpy(), table[:, 2])  # predictions made during training
    assert abs((table[:, 1] == table[:, 2]).mean() - result["test_accuracy"]) < 1e-12
    torch.testing.assert_close(logits, predict_logits(load_model(run / "checkpoints" / "best.ckpt"), digits.splits["test"]))


def test_same_seed_same_result(trained, digits, tmp_path):
    _, first = trained
    again = fit(digits, ModelConfig.for_dataset(digits, "early"), TrainConfig(epochs=6, seed=0, accelerator="cpu"),
                tmp_path, progress_bar=False)
    assert again["test_accuracy"] == first["test_accuracy"]


def test_bad_config_and_checkpoint(tmp_path):
    with pytest.raises(ConfigError, match="epochs must be at least 1"):
        TrainConfig(epochs=0)
    with pytest.raises(DataFileError, match="does not exist"):
        load_model(tmp_path / "none.ckpt")
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataFileError, match="not a polymodal checkpoint"):
        load_model(tmp_path / "bad.ckpt")


def test_dynamic_fusion_trains_with_its_penalty_and_reports_its_routing(digits, tmp_path):
    config = ModelConfig.for_dataset(digits, "dynamic", fusion_options={"penalty": 0.5})
    result = fit(digits, config, TrainConfig(epochs=3, seed=0, accelerator="cpu"), tmp_path, progress_bar=False)
    routing = result["routing"]
    assert routing["examples"] == len(digits.splits["test"])
    assert sum(routing["fraction"].values()) == pytest.approx(1.0)
    costs = routing["relative_cost"]
    assert routing["compute_saved"] == pytest.approx(1 - sum(routing["fraction"][b] * costs[b] for b in costs))
    header = (tmp_path / "logs" / "metrics.csv").read_text().splitlines()[0]
    assert "train_aux_loss" in header.split(",")


def test_grad_clip_bounds_the_norm_of_every_step(digits, tmp_path):
    """The gradient the optimizer steps with has a global L2 norm of at most grad_clip (and exactly
    grad_clip when the raw one is larger: with a tiny bound, every step)."""
    import lightning as L

    from polymodal.training.pipeline import train_module
    from polymodal.training.module import ClassificationModule

    norms: list[float] = []

    class Watch(L.Callback):
        def on_train_start(self, trainer, module):
            def record(optimizer, args, kwargs):
                grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
                norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
            trainer.optimizers[0].register_step_post_hook(record)  # the closure ran inside step()

    module = ClassificationModule(ModelConfig.for_dataset(digits, "early").to_dict(), optimizer="sgd", lr=0.1)
    module.validate_each_epoch(digits.splits["val"], 64)
    train_module(module, digits, TrainConfig(epochs=1, grad_clip=1e-3, accelerator="cpu"), tmp_path,
                 monitor="val_acc", callbacks=[Watch()], progress_bar=False)
    assert len(norms) == 20 and all(abs(n - 1e-3) < 1e-8 for n in norms)
