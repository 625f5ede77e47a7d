"""Named recipes: the given settings win, a fusion's options apply only when it trains, and
``adam`` is exactly what a command without a recipe trains with."""

import json
import subprocess
from dataclasses import asdict
import sys

import pytest

from polymodal.catalog import build_model
from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig
from polymodal.training.config import TrainConfig
from polymodal.training.recipes import (RECIPES, Recipe, apply_recipe, describe_recipe, fusion_train_for,
                                        fusion_train_under_balance, get_recipe, settings_for)


def test_given_settings_win_and_other_fusions_options_are_left_out():
    train, model, options = apply_recipe("bn-sgd-cosine", {"lr": 0.05}, {"encoder_norm": "layer"},
                                         {"tensor": {"output_dim": 32}}, ["tensor", "late"])
    assert train["lr"] == 0.05 and train["optimizer"] == "sgd" and train["lr_schedule"] == "cosine"
    assert model["encoder_norm"] == "layer"
    assert options == {"tensor": {"output_dim": 32}}  # dynamic is not trained: its warm-up is not used
    assert apply_recipe(None, {"lr": 1.0}, {}, {}, ["early"]) == ({"lr": 1.0}, {}, {})


def test_an_unknown_recipe_is_named_with_the_known_ones():
    with pytest.raises(ConfigError, match="--recipe: 'mb' is unknown; choose from adam, bn-adam, bn-sgd-cosine"):
        get_recipe("mb")


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_builds(name, digits):
    train, model, options = apply_recipe(name, {}, {}, {}, ["tensor", "dynamic"])
    TrainConfig(**train)
    for fusion in ("tensor", "dynamic"):
        build_model(ModelConfig.for_dataset(digits, fusion, fusion_options=options[fusion], **model))


@pytest.mark.parametrize("name", ["bn-sgd-cosine-timemask", "bn-sgd-cosine-freqmask", "bn-sgd-cosine-specaugment"])
def test_the_masked_recipes_train_the_raw_token_fusions_from_a_conv_stem_with_adamw(name):
    from polymodal.data.dataset import ModalitySpec
    from polymodal.models.tokenizers import ConvStemTokenizer, PatchTokenizer

    specs = [ModalitySpec("image", "image", (1, 28, 28)).to_dict(), ModalitySpec("audio", "spectrogram", (1, 112, 112)).to_dict()]
    settings = settings_for("avmnist", ["raw", "late"], recipe=name)
    raw = build_model(ModelConfig(specs, 10, "raw", **settings.model))
    assert all(isinstance(t, ConvStemTokenizer) for t in raw.encoders.values())
    assert settings.train_config("raw").optimizer == "adamw" and settings.train_config("late").optimizer == "sgd"
    old = settings_for("avmnist", ["raw"], recipe="bn-sgd-cosine")  # the recipes before the stem keep patches
    assert isinstance(build_model(ModelConfig(specs, 10, "raw", **old.model)).encoders["audio"], PatchTokenizer)


def test_adam_is_todays_default(digits):
    """The old recipe stays reachable by name once the defaults change; until then it is the default."""
    train, model, options = apply_recipe("adam", {}, {}, {}, ["tensor", "dynamic"])
    assert {k: getattr(TrainConfig(), k) for k in train} == train
    assert {k: getattr(ModelConfig.for_dataset(digits, "early"), k) for k in model} == model
    for fusion in ("tensor", "dynamic"):
        plain = build_model(ModelConfig.for_dataset(digits, fusion))
        pinned = build_model(ModelConfig.for_dataset(digits, fusion, fusion_options=options[fusion], **model))
        assert {k: v.shape for k, v in plain.state_dict().items()} == {k: v.shape for k, v in pinned.state_dict().items()}
    assert pinned.fusion.penalty_warmup == plain.fusion.penalty_warmup


def test_train_records_the_recipes_settings_and_a_flag_overrides_them(tmp_path, digits):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "polymodal", "train", "--fusion", "tensor", "--epochs", "1",
                           "--recipe", "bn-sgd-cosine", "--lr", "0.02", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["train_config"]["optimizer"] == "sgd" and result["train_config"]["lr_schedule"] == "cosine"
    assert result["train_config"]["lr"] == 0.02 and result["train_config"]["grad_clip"] == 8.0
    assert result["model_config"]["encoder_norm"] == "auto"
    assert result["model_config"]["fusion_options"] == {"output_dim": None}
    assert result["recipe"] == "bn-sgd-cosine + lr=0.02 + epochs=1"
    # a script's settings_for gives what the command trained with
    settings = settings_for("digits", ["tensor"], recipe="bn-sgd-cosine", train={"lr": 0.02, "epochs": 1})
    assert asdict(settings.train_config(seed=0)) == result["train_config"]
    assert settings.model_config(digits, "tensor").to_dict() == result["model_config"]


def test_a_data_sets_own_recipe_is_used_unless_the_command_names_one(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from polymodal import cli
    from polymodal.training import recipes

    monkeypatch.setattr(recipes, "DATASET_RECIPES", {"digits": "bn-sgd-cosine"})
    assert recipes.recipe_for("digits", None) == "bn-sgd-cosine"
    assert recipes.recipe_for("digits", "adam") == "adam"
    assert recipes.recipe_for("mfeat", None) is None
    own = recipes.settings_for("digits", ["tensor", "late"], train={"epochs": 1})
    assert own.recipe == "bn-sgd-cosine" and own.train_config().optimizer == "sgd" and own.train_config().epochs == 1
    assert own.model_options() == {**RECIPES["bn-sgd-cosine"].model, "fusion_options": {"tensor": {"output_dim": None}}}
    assert recipes.settings_for("mfeat", ["tensor"]) == recipes.RecipeSettings(None, {}, {}, {})
    with pytest.raises(ConfigError, match="--recipe: 'sgd' is unknown"):
        recipes.recipe_for("digits", "sgd")
    for given, optimizer in ((None, "sgd"), ("adam", "adam")):
        out = tmp_path / str(given)
        args = ["train", "--dataset", "digits", "--fusion", "early", "--epochs", "1", "--out", str(out)]
        run = CliRunner().invoke(cli.app, args + (["--recipe", given] if given else []))
        assert run.exit_code == 0, run.output
        assert json.loads((out / "result.json").read_text())["train_config"]["optimizer"] == optimizer


def configs(digits, fusion, recipe, train=None, model=None, options=None):
    """The configurations a command with this recipe and these settings trains with, as result.json holds them."""
    t, m, o = apply_recipe(recipe, train or {}, model or {}, {fusion: options} if options else {}, [fusion])
    t = {**t, **fusion_train_for(recipe, train or {}, [fusion]).get(fusion, {})}
    model_config = ModelConfig.for_dataset(digits, fusion, fusion_options=o.get(fusion, {}), **m)
    return asdict(TrainConfig(**t)), model_config.to_dict()


@pytest.mark.parametrize("name", list(RECIPES))
@pytest.mark.parametrize("fusion", ["tensor", "low-rank", "late", "raw"])
def test_every_recipe_is_described_by_its_name(name, fusion, digits):
    assert describe_recipe(*configs(digits, fusion, name)) == name


def test_a_run_is_described_by_its_recipe_and_the_settings_given_on_top(digits):
    train, model = asdict(TrainConfig()), ModelConfig.for_dataset(digits, "tensor").to_dict()
    assert describe_recipe(train, model) == "adam"  # no recipe: the defaults
    del train["lr_schedule"]  # a run recorded before the field existed
    assert describe_recipe(train, model) == "adam"
    assert describe_recipe(*configs(digits, "low-rank", "bn-sgd-cosine", {"weight_decay": 5e-4}, options={"rank": 16})) \
        == "bn-sgd-cosine + weight_decay=0.0005 + low-rank.rank=16"
    assert describe_recipe(*configs(digits, "tensor", "adam", {"balance": "warmstart", "balance_options": {"epochs": 8}})) \
        == "adam + balance=warmstart + balance_options={epochs=8}"
    # the tokenizer is a difference only for a model that reads tokens
    assert describe_recipe(*configs(digits, "tensor", "bn-sgd-cosine-freqmask", model={"tokenizer": "patch"})) \
        == "bn-sgd-cosine-freqmask"
    assert describe_recipe(*configs(digits, "raw", "bn-sgd-cosine-freqmask", model={"tokenizer": "patch"})) \
        == "bn-sgd-cosine-freqmask + tokenizer=patch"
    # bn-adam with the projection is as close to adam with batch norm: the shorter is not unique, the first listed wins
    assert describe_recipe(*configs(digits, "tensor", "bn-adam", options={"output_dim": 64})) == "adam + encoder_norm=auto"


@pytest.fixture
def half_rate_low_rank(monkeypatch):
    """A recipe that trains low-rank fusion at half the others' rate, as MultiBench's AV-MNIST recipe."""
    from polymodal.training import recipes

    recipe = Recipe("half-rate-low-rank", train={"optimizer": "sgd", "lr": 0.1, "momentum": 0.9},
                    fusion_train={"low-rank": {"lr": 0.05, "grad_clip": 8.0}})
    monkeypatch.setitem(recipes.RECIPES, recipe.name, recipe)
    return recipe.name


def test_a_fusions_own_training_settings_apply_to_it_alone_and_given_settings_win(half_rate_low_rank):
    settings = settings_for("digits", ["low-rank", "late"], recipe=half_rate_low_rank)
    assert settings.fusion_train == {"low-rank": {"lr": 0.05, "grad_clip": 8.0}}
    assert settings.train_config("low-rank").lr == 0.05 and settings.train_config("low-rank").grad_clip == 8.0
    assert settings.train_config("late").lr == 0.1 and settings.train_config().lr == 0.1
    given = settings_for("digits", ["low-rank"], recipe=half_rate_low_rank, train={"lr": 0.2})
    assert given.train_config("low-rank").lr == 0.2 and given.train_config("low-rank").grad_clip == 8.0
    assert settings_for("digits", ["late"], recipe=half_rate_low_rank).fusion_train == {}  # low-rank not trained
    assert fusion_train_for(None, {}, ["low-rank"]) == {}


def digits_bench(out, recipe, *args):
    """``polymodal bench --dataset digits --recipe RECIPE ARGS``'s results.json."""
    from typer.testing import CliRunner

    from polymodal import cli

    run = CliRunner().invoke(cli.app, ["bench", "--dataset", "digits", "--recipe", recipe, "--out", str(out), *args])
    assert run.exit_code == 0, run.output
    return json.loads((out / "results.json").read_text())


def trained_with(results, field):
    """``{method: the TrainConfig field its seed-0 run trained with}`` of a bench's results."""
    return {m: r["0"]["train_config"][field] for m, r in results["runs"].items()}


def test_train_and_bench_give_a_fusion_its_own_settings(half_rate_low_rank, digits, tmp_path):
    from typer.testing import CliRunner

    from polymodal import cli

    out = tmp_path / "train"
    run = CliRunner().invoke(cli.app, ["train", "--dataset", "digits", "--fusion", "low-rank", "--epochs", "1",
                                       "--recipe", half_rate_low_rank, "--out", str(out)])
    assert run.exit_code == 0, run.output
    result = json.loads((out / "result.json").read_text())
    assert result["train_config"]["lr"] == 0.05 and result["train_config"]["optimizer"] == "sgd"
    assert result["recipe"].startswith(half_rate_low_rank) and "lr=" not in result["recipe"]
    results = digits_bench(tmp_path / "bench", half_rate_low_rank, "--fusions", "low-rank,late", "--epochs", "1")
    assert trained_with(results, "lr") == {"unimodal:top": 0.1, "unimodal:bottom": 0.1, "low-rank": 0.05, "late": 0.1}
    assert results["settings"]["fusion_train"] == {"low-rank": {"lr": 0.05, "grad_clip": 8.0}}
    assert results["runs"]["low-rank"]["0"]["train_config"]["grad_clip"] == 8.0


def test_a_balancing_method_replaces_a_fusions_own_modality_dropout():
    own = {"optimizer": "adamw", "modality_dropout": 0.5, "patience": 30}
    assert fusion_train_under_balance(own, "none") == own
    for method in ("gblend", "agm", "pmr", "mmpareto", "warmstart"):
        assert fusion_train_under_balance(own, method) == {"optimizer": "adamw", "patience": 30}
    # AV-MNIST's recipe gives raw fusion its dropout, which TrainConfig refuses beside a method
    raw = settings_for("avmnist", ["raw", "late"]).fusion_train["raw"]
    assert raw["modality_dropout"] == 0.5 and raw["patience"] == 30
    with pytest.raises(ConfigError, match="--balance pmr and --modality-dropout 0.5"):
        TrainConfig(**raw, balance="pmr")
    assert TrainConfig(**fusion_train_under_balance(raw, "pmr"), balance="pmr").modality_dropout == 0.0
    # and so do the settings a script builds in Python
    settings = settings_for("avmnist", ["raw"])
    assert settings.train_config("raw").modality_dropout == 0.5
    assert settings.train_config("raw", balance="agm").modality_dropout == 0.0
    assert settings.train_config("raw", balance="agm").patience == 30


@pytest.fixture
def late_with_modality_dropout(monkeypatch):
    """A recipe that gives late fusion modality dropout of its own, as AV-MNIST's gives raw fusion."""
    from polymodal.training import recipes

    recipe = Recipe("late-dropout", train={"epochs": 1}, fusion_train={"late": {"modality_dropout": 0.5}})
    monkeypatch.setitem(recipes.RECIPES, recipe.name, recipe)
    return recipe.name


def test_train_and_bench_let_a_balancing_method_replace_a_recipes_modality_dropout(late_with_modality_dropout,
                                                                                     digits, tmp_path):
    from typer.testing import CliRunner

    from polymodal import cli

    def train(*extra):
        out = tmp_path / "-".join(["train", *extra])
        run = CliRunner().invoke(cli.app, ["train", "--dataset", "digits", "--fusion", "late", "--recipe",
                                           late_with_modality_dropout, "--out", str(out), *extra])
        return run, out

    for extra, dropout in (((), 0.5), (("--balance", "pmr"), 0.0)):
        run, out = train(*extra)
        assert run.exit_code == 0, run.output
        assert json.loads((out / "result.json").read_text())["train_config"]["modality_dropout"] == dropout
    # a dropout the command gives is not the recipe's: with a method it is refused, as without a recipe
    run, _ = train("--balance", "pmr", "--modality-dropout", "0.3")
    assert isinstance(run.exception, ConfigError) and "--balance pmr and --modality-dropout 0.3" in str(run.exception)
    results = digits_bench(tmp_path / "bench", late_with_modality_dropout, "--fusions", "late", "--balance", "none,pmr")
    assert trained_with(results, "modality_dropout") == {"unimodal:top": 0.0, "unimodal:bottom": 0.0, "late": 0.5,
                                                         "late+pmr": 0.0}
    assert results["skipped"] == {}


def test_the_kept_avmnist_zoo_trained_every_fusion_with_avmnist_s_recipe():
    """The zoo table in docs/benchmarks.md merges the runs kept in benchmarks/results: a change of
    AV-MNIST's recipe that leaves them behind (the docs mixing recipes) fails here."""
    from pathlib import Path

    from polymodal.bench import parse_fusions
    from polymodal.training.recipes import DATASET_RECIPES

    recipe = DATASET_RECIPES["avmnist"]
    kept = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / f"avmnist-zoo-{recipe}"
    seeds_of: dict[str, set[str]] = {}
    for file in sorted(kept.glob("*.json")):
        for method, by_seed in json.loads(file.read_text())["runs"].items():
            for seed, result in by_seed.items():
                if result["fusion"] != "unimodal":
                    assert describe_recipe(result["train_config"], result["model_config"]) == recipe, (file.name, method)
                    assert not seeds_of.get(method, set()) & {seed}, f"{method} seed {seed} kept twice"
                    seeds_of.setdefault(method, set()).add(seed)
    assert seeds_of == {m: {"0", "1", "2"} for m in parse_fusions("all")}  # the bench's fusions, 3 seeds each
