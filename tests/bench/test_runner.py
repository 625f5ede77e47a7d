import json

import lightning as L
import pytest

from polymodal.bench import bench_methods, parse_fusions, run_bench
from polymodal.errors import ConfigError
from polymodal.training import TrainConfig


class Interrupt(Exception):
    pass


class InterruptAt(L.Callback):
    """Simulates a crash in the middle of training, after a checkpoint was written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            raise Interrupt()


def test_methods_and_fusion_names(digits):
    assert [m.name for m in bench_methods(digits, ["early", "late"])] == ["unimodal:top", "unimodal:bottom", "early", "late"]
    assert parse_fusions("all") == ["early", "late", "additive", "multiplicative", "bilinear", "tensor", "low-rank"]
    assert parse_fusions("late, early,late") == ["late", "early"]
    with pytest.raises(ConfigError, match="--fusions: tensr unknown"):
        parse_fusions("early,tensr")


def test_interrupted_bench_resumes(digits, tmp_path):
    config = TrainConfig(epochs=4, patience=10, seed=0, accelerator="cpu")

    def crash_in_late(method, position, total):
        return [InterruptAt(2)] if method.name == "late" else []

    with pytest.raises(Interrupt):
        run_bench(digits, ["early", "late"], config, tmp_path, on_method=crash_in_late)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert list(saved["methods"]) == ["unimodal:top", "unimodal:bottom", "early"]
    assert (tmp_path / "runs" / "late" / "checkpoints" / "last.ckpt").is_file()
    done_before = {m: (tmp_path / "runs" / m.replace(":", "-") / "result.json").stat().st_mtime_ns for m in saved["methods"]}

    trained = []
    results = run_bench(digits, ["early", "late"], config, tmp_path,
                        on_method=lambda m, i, n: trained.append(m.name) or [])
    assert list(results["methods"]) == ["unimodal:top", "unimodal:bottom", "early", "late"]
    late = results["methods"]["late"]
    assert late["resumed_from"].endswith("last.ckpt") and late["epochs"] == 4
    assert late["test_samples"] == len(digits.splits["test"])
    for m, mtime in done_before.items():  # finished methods were not retrained
        assert (tmp_path / "runs" / m.replace(":", "-") / "result.json").stat().st_mtime_ns == mtime
        assert results["methods"][m] == saved["methods"][m]
    assert json.loads((tmp_path / "results.json").read_text()) == json.loads(json.dumps(results))

    with pytest.raises(ConfigError, match="other settings"):
        run_bench(digits, ["early"], TrainConfig(epochs=5, accelerator="cpu"), tmp_path)
