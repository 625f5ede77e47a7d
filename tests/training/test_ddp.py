"""Two-process data-parallel training on the CPU (gloo), launched as a user would, through the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from polymodal.data import load_digits


@pytest.mark.slow
def test_two_process_ddp_evaluates_every_test_sample_once(tmp_path):
    n_test = len(load_digits().splits["test"])
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "polymodal", "train", "--dataset", "digits", "--fusion", "additive",
           "--epochs", "2", "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "--batch-size", "37",
           "--out", str(out)]
    env = {**os.environ, "PL_DISABLE_FORK": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert result["world_size"] == 2
    assert result["test_samples"] == n_test
    table = np.loadtxt(out / "test_predictions.csv", delimiter=",", skiprows=1, dtype=np.int64)
    assert table[:, 0].tolist() == list(range(n_test))  # each sample exactly once
    assert abs((table[:, 1] == table[:, 2]).mean() - result["test_accuracy"]) < 1e-12
    labels = load_digits().splits["test"].labels.numpy()
    assert np.array_equal(table[:, 1], labels)


def test_a_data_parallel_command_ends_without_the_interpreters_teardown(monkeypatch):
    import polymodal.cli as cli

    exits = []
    monkeypatch.setattr(cli.os, "_exit", exits.append)
    monkeypatch.setenv("WORLD_SIZE", "1")
    cli._leave_data_parallel()
    assert exits == []  # one process: the usual exit
    monkeypatch.setenv("WORLD_SIZE", "2")
    cli._leave_data_parallel()
    assert exits == [0]
