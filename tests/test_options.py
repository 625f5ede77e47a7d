"""One option mechanism: --option KEY=VALUE and --config FILE.toml mean the same in train, bench and coordinate."""

import json
import subprocess
import sys
from dataclasses import fields

import pytest

from polymodal.errors import ConfigError
from polymodal.options import parse_options, read_config_file, scoped_model_options, scoped_train_settings, split_options
from polymodal.training.config import TrainConfig


def polymodal(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "polymodal", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_parse_reads_json_values_else_text():
    assert parse_options(["rank=8", "gate=hard", "groups=[[\"a\"],[\"b\"]]", "w=0.5", "on=true"]) == {
        "rank": 8, "gate": "hard", "groups": [["a"], ["b"]], "w": 0.5, "on": True}
    with pytest.raises(ConfigError, match="--option 'rank': expected KEY=VALUE"):
        parse_options(["rank"])


def test_a_toml_file_holds_the_same_keys_and_tables_scope_a_model(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('epochs = 2\ndropout = 0.2\n[low-rank]\nrank = 3\n[augment]\nimage = "gaussian:0.3"\n')
    assert read_config_file(path) == {"epochs": 2, "dropout": 0.2, "low-rank.rank": 3, "augment": {"image": "gaussian:0.3"}}
    with pytest.raises(ConfigError, match="no such file"):
        read_config_file(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("epochs = = 2\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        read_config_file(tmp_path / "bad.toml")


def test_keys_go_to_the_configuration_that_has_the_field():
    found, rest = split_options({"epochs": 3, "dropout": 0.2, "rank": 8},
                                {"train": ["epochs", "lr"], "model": ["dropout", "embed_dim"]})
    assert found == {"train": {"epochs": 3}, "model": {"dropout": 0.2}} and rest == {"rank": 8}
    assert scoped_model_options({"rank": 8}, ["low-rank"], single="low-rank") == {"low-rank": {"rank": 8}}
    assert scoped_model_options({"low-rank.rank": 8}, ["low-rank", "early"]) == {"low-rank": {"rank": 8}}
    with pytest.raises(ConfigError, match="low-rank.rank=8"):
        scoped_model_options({"rank": 8}, ["low-rank", "early"])
    with pytest.raises(ConfigError, match="'tensor' is not trained here"):
        scoped_model_options({"tensor.rank": 8}, ["low-rank"])


def test_a_scoped_training_field_is_that_models_own_training_setting():
    train = [f.name for f in fields(TrainConfig)]
    options, own = scoped_train_settings({"tensor": {"epochs": 45, "output_dim": 32}, "low-rank": {"rank": 8}}, train)
    assert options == {"tensor": {"output_dim": 32}, "low-rank": {"rank": 8}} and own == {"tensor": {"epochs": 45}}
    for key in ("seed", "balance"):
        with pytest.raises(ConfigError, match=f"--option tensor.{key}: {key} is the command's"):
            scoped_train_settings({"tensor": {key: 1}}, train)


def test_the_command_line_takes_its_training_defaults_from_train_config():
    from polymodal.cli import TRAIN_DEFAULTS

    assert TRAIN_DEFAULTS == {f.name: f.default for f in fields(TrainConfig)}
    assert (TRAIN_DEFAULTS["epochs"], TRAIN_DEFAULTS["patience"]) == (30, 8)


@pytest.mark.slow
def test_train_option_config_and_flag_precedence(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text("epochs = 3\nweight_decay = 0.0\ndropout = 0.3\nrank = 2\n")
    proc = polymodal("train", "--fusion", "low-rank", "--config", str(cfg), "--option", "dropout=0.2",
                     "--epochs", "1", "--out", str(tmp_path / "run"), "--accelerator", "cpu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    # the flag beats the file, --option beats the file, the file beats the default
    assert result["train_config"]["epochs"] == 1 and result["train_config"]["weight_decay"] == 0.0
    assert result["model_config"]["dropout"] == 0.2 and result["model_config"]["fusion_options"] == {"rank": 2}


@pytest.mark.slow
def test_bench_scopes_model_options_by_name(tmp_path):
    proc = polymodal("bench", "--fusions", "early,low-rank", "--epochs", "1", "--option", "low-rank.rank=3",
                     "--option", "hidden_dim=16", "--out", str(tmp_path), "--accelerator", "cpu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert runs["low-rank"]["0"]["model_config"]["fusion_options"] == {"rank": 3}
    assert runs["early"]["0"]["model_config"]["fusion_options"] == {}
    assert runs["early"]["0"]["model_config"]["hidden_dim"] == 16


@pytest.mark.slow
def test_bench_trains_a_model_with_its_own_scoped_training_settings(tmp_path):
    """`early.epochs=2` trains early fusion for 2 epochs and every other model for the command's 1;
    the bench records it as that fusion's own training (as a recipe's per-fusion settings)."""
    proc = polymodal("bench", "--fusions", "early,late", "--epochs", "1", "--option", "early.epochs=2",
                     "--option", "early.augment={\"top\": \"gaussian:0.3\"}", "--out", str(tmp_path), "--accelerator", "cpu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    runs = results["runs"]
    assert (runs["early"]["0"]["epochs"], runs["late"]["0"]["epochs"], runs["unimodal:top"]["0"]["epochs"]) == (2, 1, 1)
    assert runs["early"]["0"]["train_config"]["augment"] == {"top": "gaussian:0.3"}
    assert runs["late"]["0"]["train_config"]["augment"] == {}
    assert results["settings"]["fusion_train"] == {"early": {"epochs": 2, "augment": {"top": "gaussian:0.3"}}}


@pytest.mark.parametrize("args,message", [
    (["bench", "--option", "early.epochs=abc", "--fusions", "early"], "epochs: 'abc' is not an integer"),
    (["bench", "--option", "early.seed=3", "--fusions", "early"], "--option early.seed: seed is the command's"),
    (["train", "--option", "lr=fast"], "lr: 'fast' is not a number"),
    (["bench", "--option", "rank=3"], "--option rank: not a setting"),
    (["bench", "--option", "tensor.rank=3", "--fusions", "early"], "'tensor' is not trained here"),
    (["train", "--option", "seed=3"], "--option seed: set it with --seed"),
    (["train", "--option", "rank"], "expected KEY=VALUE"),
    (["train", "--config", "no/such.toml"], "--config no/such.toml: no such file"),
    (["coordinate", "--method", "dcca", "--option", "rank=3"], "--option rank: not a setting of coordinate"),
    (["train", "--option", "dropout=1.5"], "dropout: 1.5 must be in [0, 1)"),
])
def test_bad_options_are_one_line_errors(args, message):
    proc = polymodal(*args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_the_readme_config_example_runs_as_written(tmp_path):
    import os
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text[text.index("**Options and config files.**"): text.index("**Threads.**")]
    (code,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = json.loads((tmp_path / "runs" / "bench-digits" / "results.json").read_text())["runs"]
    low_rank = runs["low-rank"]["0"]
    assert low_rank["model_config"]["fusion_options"] == {"rank": 8} and low_rank["model_config"]["dropout"] == 0.2
    assert low_rank["train_config"]["epochs"] == 10 and low_rank["train_config"]["weight_decay"] == 0
