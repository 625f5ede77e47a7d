"""The ``polymodal`` command line: ``bench``, ``train``, ``coordinate``, ``interactions``, ``pid``, ``heterogeneity``, ``robustness``, ``fusions`` and ``data info``."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from polymodal.errors import ConfigError, PolymodalError
from polymodal.models.names import IN_ALL, MODEL_NAMES
from polymodal.progress import progress_enabled
from polymodal.threads import configure_threads
from polymodal.timing import step, write_step_times
from polymodal.training.config import train_defaults
from polymodal.training.recipes import DATASET_RECIPES, RECIPES

app = typer.Typer(
    help="polymodal: multimodal representation learning (fusion, coordination, fission).",
    add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
)
data_app = typer.Typer(help="Inspect the built-in data sets.", no_args_is_help=True)
app.add_typer(data_app, name="data")
console = Console()
err_console = Console(stderr=True)

DatasetOpt = typer.Option("digits", "--dataset", help="digits, bits-and|or|xor, latent-redundancy|unique1|unique2|synergy, hetero-groups (built in), mfeat, avmnist or avmnist-seq (from --data-dir), or the path of your own .npz file or .toml manifest (README: Your own data).")
DataDirOpt = typer.Option(None, "--data-dir", help="Folder with mnist/, fsdd/recordings/, mfeat/ (default: $POLYMODAL_DATA_DIR).")
SnrOpt = typer.Option("-10", "--snr", help="avmnist: audio signal-to-noise ratio in dB, or 'clean'.")
CacheOpt = typer.Option(None, "--cache-dir", help="avmnist: where the built data set is cached.")
#: TrainConfig's defaults: a training flag left out takes its value from --option, --config, or here
TRAIN_DEFAULTS = train_defaults()
EpochsOpt = typer.Option(None, "--epochs", min=1, help=f"Maximum epochs (default {TRAIN_DEFAULTS['epochs']}).")
SeedOpt = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the split, weights and shuffling.")
LrOpt = typer.Option(None, "--lr", help=f"learning rate of the optimizer (default {TRAIN_DEFAULTS['lr']:g}).")
OptimizerOpt = typer.Option(None, "--optimizer", help=f"adam, adamw or sgd (with momentum; default "
                            f"{TRAIN_DEFAULTS['optimizer']}).")
LrScheduleOpt = typer.Option(None, "--lr-schedule", help="constant, or cosine (annealed to 0 over --epochs, per epoch; "
                             f"default {TRAIN_DEFAULTS['lr_schedule']}).")
GradClipOpt = typer.Option(None, "--grad-clip", help="Clip the gradient's L2 norm to this before every step (default: "
                           + ("no clipping" if TRAIN_DEFAULTS["grad_clip"] is None else f"{TRAIN_DEFAULTS['grad_clip']:g}") + ").")
PatienceOpt = typer.Option(None, "--patience", min=0, help="Early stopping: epochs without a better validation score "
                           f"(default {TRAIN_DEFAULTS['patience']}).")
BatchSizeOpt = typer.Option(None, "--batch-size", min=1, help=f"Samples per batch (default {TRAIN_DEFAULTS['batch_size']}).")
AcceleratorOpt = typer.Option(None, "--accelerator", help="Passed to Lightning: cpu, gpu, auto, ... (default auto).")
DevicesOpt = typer.Option(None, "--devices", help="Passed to Lightning: a count, a list or 'auto' (default 1).")
StrategyOpt = typer.Option(None, "--strategy", help="Passed to Lightning: auto, ddp, ... (default auto).")
NumNodesOpt = typer.Option(None, "--num-nodes", min=1, help="Passed to Lightning (default 1).")
RecipeOpt = typer.Option(None, "--recipe", help="A named recipe (polymodal.training.recipes): "
                         f"{', '.join(RECIPES)}. Default: the data set's own, if it has one "
                         f"({', '.join(f'{d}: {r}' for d, r in DATASET_RECIPES.items())}), else adam (the defaults). "
                         "It fills what flags, --option and --config leave unset.")
ConfigFileOpt = typer.Option(None, "--config", help="A TOML file of KEY = VALUE settings, the keys of --option "
                             "(a [NAME] table scopes the options of the model NAME); flags and --option override it.")
#: ``bench`` rewrites its reports (plots, HTML) at most this often while it runs, and once at the end.
REPORT_INTERVAL_S = 30.0
ResumeOpt = typer.Option(True, "--resume/--no-resume", help="Continue from the last checkpoint in --out.")
AugmentOpt = typer.Option(None, "--augment", help="Noise in training, MODALITY=PERTURBATION:LEVEL,..., e.g. image=gaussian:0.3,audio=snr:0.5; several on one modality, in order, joined by +: audio=time-mask:0.15+freq-mask:0.15 (polymodal robustness --list).")
AugmentScheduleOpt = typer.Option(None, "--augment-schedule", help="constant (default), or linear (the level ramps up over the epochs).")
ModalityDropoutOpt = typer.Option(None, "--modality-dropout", help="Drop each modality of a training example with this probability in [0, 1) (one always stays; default 0).")
MissingStrategyOpt = typer.Option(None, "--missing-strategy", help="How dropped modalities are filled in training: zero (default), token (a learned embedding), drop (late, gated, mixture, additive, multiplicative) or impute (with --imputer).")
ImputerOpt = typer.Option(None, "--imputer", help="Give the model a translation imputer (strategy impute), trained joint or after.")
BalanceOpt = typer.Option(None, "--balance", help="Balanced multimodal learning: none (default), gblend, ogm (early, "
                          "late, additive), agm, pmr, mmpareto, warmstart or umt; see polymodal.training.balance. "
                          "bench takes a comma-separated list and trains each fusion with each.")
BalanceOptionOpt = typer.Option(None, "--balance-option", help="KEY=VALUE option of the --balance method, e.g. "
                                "alpha=0.5 (gblend: super_epoch, holdout; ogm: alpha, noise, start_epoch, end_epoch; "
                                "agm: alpha, clip; pmr: alpha, momentum, entropy, entropy_epochs; mmpareto: boost; warmstart: epochs; umt: "
                                "teacher_epochs, weight); repeatable. In a bench of several methods, scope it: "
                                "agm.alpha=0.5.")
SequenceEncoderOpt = typer.Option(None, "--sequence-encoder", help="Encoder of sequence and text modalities: gru, cnn or transformer (default: gru for sequences, transformer for text).")


def _is_rank_zero() -> bool:
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0"


def _load(dataset: str, data_dir: Optional[Path], seed: int, snr: str, cache_dir: Optional[Path]):
    with step("imports"):
        from polymodal.data.registry import load_dataset

    options: dict = {"seed": seed}
    if dataset in ("avmnist", "avmnist-seq"):
        options.update(snr_db=snr, cache_dir=cache_dir)
    with step("load data"):
        return load_dataset(dataset, data_dir, **options)


def _slug(dataset: str) -> str:
    """A data set's name in default output folders: a file's stem (``runs/bench-mydata``), else the name."""
    return Path(dataset).stem if Path(dataset).suffix.lower() in (".npz", ".toml") else dataset


def _devices(value: str) -> int | str:
    return int(value) if value.isdigit() else value


#: --option keys that a flag of the command sets instead
RESERVED_KEYS = {"seed": "--seed", "modalities": "--modalities", "num_classes": "the data set", "fusion": "--fusion",
                 "fusion_options": "--option KEY=VALUE", "method": "--method"}
#: coordinate's batch size unless --batch-size, --option or --config set one
COORDINATION_BATCH_SIZE = 128
#: hidden width of the imputer that --imputer gives a model
IMPUTER_HIDDEN = 128


def _settings(flags: dict, option: Optional[list[str]], config_file: Optional[Path], targets: dict
              ) -> tuple[dict[str, dict], dict]:
    """Merge ``--config``, ``--option`` and the flags given: ``({target: {field: value}}, {other key: value})``.

    ``targets`` maps ``"train"`` and the command's other configuration to their settable field
    names (:func:`polymodal.options.split_options`); ``flags`` are TrainConfig fields (``None``: not given).
    """
    from polymodal.options import parse_options, read_config_file, split_options

    options = read_config_file(config_file) if config_file is not None else {}
    options.update(parse_options(option or []))
    reserved = [k for k in options if k in RESERVED_KEYS]
    if reserved:
        raise ConfigError(f"--option {reserved[0]}: set it with {RESERVED_KEYS[reserved[0]]}")
    found, rest = split_options(options, {n: [f for f in names if f not in RESERVED_KEYS] for n, names in targets.items()})
    found["train"].update({k: v for k, v in flags.items() if v is not None})
    return found, rest


def _train_config(fields: dict, seed: int):
    """A TrainConfig from merged settings (see :func:`_settings`), with the run's ``seed``."""
    from polymodal.training.config import TrainConfig

    fields = dict(fields, seed=seed)
    if "devices" in fields:
        fields["devices"] = _devices(str(fields["devices"]))
    if isinstance(fields.get("augment"), str):
        from polymodal.robustness.corrupt import format_augment, parse_augment

        fields["augment"] = format_augment(parse_augment(fields["augment"]))
    return TrainConfig(**fields)


def _robust_flags(augment: Optional[str], schedule: Optional[str], dropout: Optional[float], missing: Optional[str],
                  imputer: Optional[str]) -> dict:
    """The robust-training flags as TrainConfig fields (``None``: not given)."""
    return {"augment": augment, "augment_schedule": schedule, "modality_dropout": dropout, "missing_strategy": missing,
            "impute": imputer}


def _balance_flags(balance: Optional[str], options: Optional[list[str]]) -> dict:
    """``--balance`` and ``--balance-option`` as TrainConfig fields (``None``: not given)."""
    from polymodal.options import parse_options

    return {"balance": balance, "balance_options": parse_options(options, "--balance-option") if options else None}


def _model_fields_for_training(train: dict, model: dict) -> dict:
    """``model`` with what the training asks of the model: a learned missing token for
    ``missing_strategy=token``, an imputer for ``impute``."""
    model = dict(model)
    if train.get("missing_strategy") == "token":
        model.setdefault("missing_token", True)
    if train.get("impute") is not None:
        model.setdefault("imputer", IMPUTER_HIDDEN)
    return model


def _model_targets() -> dict:
    from polymodal.models.build import ModelConfig
    from polymodal.options import field_names
    from polymodal.training.config import TrainConfig

    return {"train": field_names(TrainConfig), "model": field_names(ModelConfig)}


@app.command()
def bench(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    fusions: str = typer.Option("all", "--fusions", help=f"Comma-separated model names ({', '.join(MODEL_NAMES[1:])}), "
                                f"or 'all' (the {len(IN_ALL)} fusions up to {IN_ALL[-1]}; with the unimodal baselines "
                                f"{len(IN_ALL) + 2} models per seed on two modalities). With 'all' on 2 CPU cores: digits "
                                "about 1 minute, avmnist about 3.5 hours (there 'late' alone, with its two baselines, "
                                "about 17 minutes; README)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Maximum epochs per method (the time grows about "
                                         f"linearly; default {TRAIN_DEFAULTS['epochs']})."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the split, weights and shuffling."),
    seeds: Optional[str] = typer.Option(
        None, "--seeds", help="Comma-separated training seeds, e.g. 0,1,2: accuracy is reported as mean ± s.d. "
        "The split uses the first unless --split-seed is given; each seed adds the time of one bench. Default: --seed."),
    split_seed: Optional[int] = typer.Option(
        None, "--split-seed", min=0, max=2**32 - 1, help="Seed of the data split (avmnist: also of the pairing and the "
        "noise). Default: the first of --seeds. Give it to add seeds in another process: --seeds 2 --split-seed 0."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/bench-<dataset>)."),
    batch_size: Optional[int] = BatchSizeOpt,
    lr: Optional[float] = LrOpt,
    optimizer: Optional[str] = OptimizerOpt,
    lr_schedule: Optional[str] = LrScheduleOpt,
    grad_clip: Optional[float] = GradClipOpt,
    patience: Optional[int] = PatienceOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: Optional[str] = AcceleratorOpt,
    devices: Optional[str] = DevicesOpt,
    strategy: Optional[str] = StrategyOpt,
    num_nodes: Optional[int] = NumNodesOpt,
    augment: Optional[str] = AugmentOpt,
    augment_schedule: Optional[str] = AugmentScheduleOpt,
    modality_dropout: Optional[float] = ModalityDropoutOpt,
    missing_strategy: Optional[str] = MissingStrategyOpt,
    imputer: Optional[str] = ImputerOpt,
    sequence_encoder: Optional[str] = SequenceEncoderOpt,
    balance: Optional[str] = BalanceOpt,
    balance_option: Optional[list[str]] = BalanceOptionOpt,
    option: Optional[list[str]] = typer.Option(
        None, "--option", help="KEY=VALUE: a ModelConfig or TrainConfig field (e.g. dropout=0.2, weight_decay=0), or "
        "a model's own option scoped by its name (e.g. low-rank.rank=8); a scoped TrainConfig field trains that model "
        "alone so (tensor.epochs=45); VALUE read as JSON, else text; repeatable."),
    config_file: Optional[Path] = ConfigFileOpt,
    recipe: Optional[str] = RecipeOpt,
) -> None:
    """Train the unimodal baselines and each fusion; write results.json, results.md and report.html."""
    with step("imports"):
        from polymodal.bench import parse_fusions, run_bench, write_reports
        from polymodal.bench.progress import BenchProgress
        from polymodal.bench.report import TERMINAL_COLUMNS, terminal_rows
        from polymodal.bench.runner import parse_balances, parse_seeds

        from polymodal.options import parse_options, scoped_model_options, scoped_train_settings
        from polymodal.training.recipes import apply_recipe, fusion_train_for, recipe_for

    names = parse_fusions(fusions)
    seed_list = parse_seeds(seeds) if seeds is not None else [seed]
    seed = seed_list[0]
    out = out or Path("runs") / f"bench-{_slug(dataset)}"
    flags = dict(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, lr_schedule=lr_schedule, grad_clip=grad_clip, patience=patience, accelerator=accelerator, devices=devices,
                 strategy=strategy, num_nodes=num_nodes,
                 **_robust_flags(augment, augment_schedule, modality_dropout, missing_strategy, imputer))
    found, rest = _settings(flags, option, config_file, _model_targets())
    per_model = scoped_model_options(rest, names, known_fields=[*found["model"], *found["train"]] or ["ModelConfig and "
                                     "TrainConfig fields"])
    per_model, scoped_train = scoped_train_settings(per_model, _model_targets()["train"])
    recipe_name = recipe_for(dataset, recipe)
    fusion_train = fusion_train_for(recipe_name, found["train"], names)
    found["train"], found["model"], per_model = apply_recipe(recipe_name, found["train"], found["model"], per_model, names)
    model_options = _model_fields_for_training(found["train"], found["model"])
    if sequence_encoder is not None:
        model_options["sequence_encoder"] = sequence_encoder
    if per_model:
        model_options["fusion_options"] = per_model
    config = _train_config(found["train"], seed)
    for name, given in scoped_train.items():
        # `tensor.epochs=45` wins over the recipe's and the command's, checked and normalised as they are
        own = {**fusion_train.get(name, {}), **given}
        checked = _train_config({**found["train"], **own}, seed)
        fusion_train[name] = {k: getattr(checked, k) for k in own}
    balances = parse_balances(balance)  # each fusion with each; the options scoped METHOD.key when several
    balance_options = parse_options(balance_option, "--balance-option") if balance_option else {}
    ds = _load(dataset, data_dir, seed if split_seed is None else split_seed, snr, cache_dir)
    command = "polymodal " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    show = _is_rank_zero()
    paths: dict[str, Path] = {}

    last_report = -float("inf")

    def report(results: dict, final: bool = False) -> None:
        # results.json is rewritten after every run; the reports (plots, HTML) at most every 30 s, and at the end
        nonlocal last_report
        if final or time.monotonic() - last_report >= REPORT_INTERVAL_S:
            with step("reports"):
                paths.update(write_reports(results, out, command))
            last_report = time.monotonic()

    with BenchProgress(err_console, enabled=show and progress_enabled()) as progress:
        results = run_bench(ds, names, config, out, seeds=seed_list, model_options=model_options or None,
                            on_method=progress.on_method,
                            on_result=report if show else None, command=command, balances=balances,
                            balance_options=balance_options, fusion_train=fusion_train)
        progress.finish(sum(len(r) for r in results["runs"].values()))
    if show:
        report(results, final=True)
        table = Table(title=f"polymodal bench: {_slug(dataset)}", caption="all columns: results.md, report.html")
        for i, (short, _) in enumerate(TERMINAL_COLUMNS):
            table.add_column(short, justify="left" if i == 0 else "right", no_wrap=True)
        for row in terminal_rows(results):
            table.add_row(*row)
        console.print(table)
        console.print(f"wrote {out / 'results.json'}, {paths['markdown']}, {paths['html']}")


@app.command()
def train(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    fusion: str = typer.Option("early", "--fusion", help="A model of the catalog (polymodal fusions): a fusion, "
                               "a fission model, heterogeneity-aware (--option groups=measured --option "
                               "heterogeneity=DIR/heterogeneity.json), or 'unimodal' with one --modalities."),
    modalities: Optional[str] = typer.Option(None, "--modalities", help="Comma-separated modalities (default: all)."),
    epochs: int = EpochsOpt,
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/train-<dataset>-<fusion>)."),
    batch_size: Optional[int] = BatchSizeOpt,
    lr: Optional[float] = LrOpt,
    optimizer: Optional[str] = OptimizerOpt,
    lr_schedule: Optional[str] = LrScheduleOpt,
    grad_clip: Optional[float] = GradClipOpt,
    patience: Optional[int] = PatienceOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: str = AcceleratorOpt,
    devices: str = DevicesOpt,
    strategy: str = StrategyOpt,
    num_nodes: int = NumNodesOpt,
    resume: bool = ResumeOpt,
    option: Optional[list[str]] = typer.Option(
        None, "--option", help="KEY=VALUE: a ModelConfig or TrainConfig field (e.g. dropout=0.2, weight_decay=0), else "
        "an option of the model (e.g. rank=8 for low-rank); VALUE read as JSON, else text; repeatable."),
    config_file: Optional[Path] = ConfigFileOpt,
    recipe: Optional[str] = RecipeOpt,
    augment: Optional[str] = AugmentOpt,
    augment_schedule: Optional[str] = AugmentScheduleOpt,
    modality_dropout: Optional[float] = ModalityDropoutOpt,
    missing_strategy: Optional[str] = MissingStrategyOpt,
    imputer: Optional[str] = ImputerOpt,
    sequence_encoder: Optional[str] = SequenceEncoderOpt,
    balance: Optional[str] = BalanceOpt,
    balance_option: Optional[list[str]] = BalanceOptionOpt,
) -> None:
    """Train one model; write checkpoints, result.json and test_predictions.csv into --out."""
    with step("imports"):
        from polymodal.catalog import build_model, model_entry
        from polymodal.models.build import ModelConfig
        from polymodal.options import scoped_model_options, scoped_train_settings
        from polymodal.robustness.corrupt import augment_of_subset
        from polymodal.training.recipes import apply_recipe, fusion_train_for, fusion_train_under_balance, recipe_for
        from polymodal.training.pipeline import fit

    model_entry(fusion, "--fusion")
    flags = dict(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, lr_schedule=lr_schedule, grad_clip=grad_clip, patience=patience, accelerator=accelerator, devices=devices,
                 strategy=strategy, num_nodes=num_nodes,
                 **_robust_flags(augment, augment_schedule, modality_dropout, missing_strategy, imputer),
                 **_balance_flags(balance, balance_option))
    found, rest = _settings(flags, option, config_file, _model_targets())
    per_model, scoped_train = scoped_train_settings(scoped_model_options(rest, [fusion], single=fusion), _model_targets()["train"])
    recipe_name = recipe_for(dataset, recipe)
    # the recipe's own settings of the fusion, less the modality dropout a balancing method replaces
    recipes_own = fusion_train_under_balance(fusion_train_for(recipe_name, found["train"], [fusion]).get(fusion, {}),
                                             found["train"].get("balance", "none"))
    own = {**recipes_own, **scoped_train.get(fusion, {})}
    found["train"], found["model"], per_model = apply_recipe(recipe_name, found["train"], found["model"], per_model, [fusion])
    found["train"] = {**found["train"], **own}  # the fusion's own, under the flags given
    fusion_options = per_model.get(fusion, {})
    model_options = _model_fields_for_training(found["train"], found["model"])
    if sequence_encoder is not None:
        model_options["sequence_encoder"] = sequence_encoder
    config = _train_config(found["train"], seed)
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    if modalities:
        selected = ds.select([m.strip() for m in modalities.split(",") if m.strip()])
        config = replace(config, augment=augment_of_subset(config.augment, ds, selected.modalities))
        ds = selected
    out = out or Path("runs") / f"train-{_slug(dataset)}-{fusion}"
    model_config = ModelConfig.for_dataset(ds, fusion, fusion_options=fusion_options, **model_options)
    build_model(model_config)  # a bad option fails here, in one line, before any training
    result = fit(ds, model_config, config, out, resume=resume)
    if _is_rank_zero():
        keys = ("test_accuracy", "test_macro_f1", "test_samples", "parameters", "train_time_s", "checkpoint")
        console.print_json(json.dumps({k: result[k] for k in keys}))


@app.command()
def pid(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    modalities: Optional[str] = typer.Option(None, "--modalities", help="The two modalities, a,b (default: the first two)."),
    estimator: str = typer.Option("cluster", "--estimator", help="cluster (discretise, exact PID) or batch (no discretising)."),
    reduce: str = typer.Option("learned", "--reduce", help="cluster: learned (small trained encoders) or pca (the published recipe)."),
    clusters: int = typer.Option(10, "--clusters", min=1, help="cluster: clusters per modality."),
    components: int = typer.Option(2, "--components", min=1, help="cluster with --reduce pca: principal components."),
    joint: str = typer.Option("learned", "--joint", help="batch: learned (the paper's network + Sinkhorn) or exact "
                              "(the optimum of each batch of 256: on digits about 70 s against 40 s, docs/cli_defaults.md)."),
    steps: int = typer.Option(300, "--steps", min=1, help="batch with --joint learned: gradient steps of the learned "
                              "joint (300: about 30 s for 10 classes on 2 CPU cores)."),
    model: Optional[Path] = typer.Option(None, "--model", help="A checkpoint: decompose its predictions instead of the labels."),
    split: str = typer.Option("test", "--split", help="The samples whose PID is estimated (fitting uses train)."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/pid-<dataset>)."),
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
) -> None:
    """Redundancy, uniqueness and synergy of two modalities about the labels (or a model's predictions).

    Prints R, U1, U2, S in bits with the estimator's settings; writes pid.json and pid.png into --out.
    """
    with step("imports"):
        from polymodal.information.dataset_pid import ESTIMATORS, REDUCTIONS, dataset_pid, model_pid
        from polymodal.information.plot import plot_pid
        from polymodal.io import atomic_write_json

    if estimator not in ESTIMATORS:
        raise ConfigError(f"--estimator: {estimator!r} is unknown; choose from {', '.join(ESTIMATORS)}")
    if reduce not in REDUCTIONS:
        raise ConfigError(f"--reduce: {reduce!r} is unknown; choose from {', '.join(REDUCTIONS)}")
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    names = [m.strip() for m in modalities.split(",") if m.strip()] if modalities else None
    out = out or Path("runs") / f"pid-{_slug(dataset)}"
    options = dict(modalities=names, estimator=estimator, reduce=reduce, n_clusters=clusters, n_components=components,
                   joint=joint, split=split, seed=seed, run_dir=out / "reduction", steps=steps,
                   progress=progress_enabled())
    if model is not None:
        from polymodal.training.checkpoint import load_model

        estimate = model_pid(load_model(model), ds, **options)
        estimate.settings["checkpoint"] = str(model)
    else:
        estimate = dataset_pid(ds, **options)
    result = estimate.as_dict()
    table = Table(title=f"PID of {' and '.join(estimate.settings['modalities'])} about "
                        f"{'the predictions of ' + model.name if model else 'the labels'} ({dataset}, {split} split)")
    for col in ("R", "U1", "U2", "S", "I(Y; X1, X2)"):
        table.add_column(col, justify="right")
    table.add_row(*(f"{result[k]:.4f}" for k in ("R", "U1", "U2", "S", "I")))
    console.print(table)
    console.print(f"bits; {estimate.estimator} estimator on {estimate.num_samples} samples; "
                  + ", ".join(f"{k}={v}" for k, v in estimate.settings.items() if k not in ("modalities",)), highlight=False)
    atomic_write_json(out / "pid.json", result)
    label = "model predictions" if model else "labels"
    with step("plot"):
        plot_pid({label: estimate}, out / "pid.png", title=f"PID: {dataset}, {' & '.join(estimate.settings['modalities'])}")
    console.print(f"wrote {out / 'pid.json'} and {out / 'pid.png'}")


@app.command()
def coordinate(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    method: str = typer.Option("contrastive", "--method", help="cca (linear), dcca (Deep CCA), dccae or contrastive."),
    modalities: Optional[str] = typer.Option(None, "--modalities", help="The two modalities a,b (default: the first two); b is the query."),
    k: int = typer.Option(10, "--k", min=1, help="Canonical components evaluated (and Deep CCA's output size)."),
    objective: Optional[str] = typer.Option(None, "--objective", help="contrastive: infonce (CLIP, default) or max-margin."),
    similarity: Optional[str] = typer.Option(None, "--similarity", help="contrastive: cosine (default), dot, euclidean, linear, polynomial, rbf, laplacian."),
    gated: Optional[bool] = typer.Option(None, "--gated/--no-gated", help="Gate each representation by both modalities (default: no)."),
    text_prompts: bool = typer.Option(False, "--text-prompts/--no-text-prompts",
                                      help="Also classify b zero-shot by text prompts of the class names (needs polymodal[text])."),
    epochs: int = EpochsOpt,
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/coordinate-<dataset>-<method>)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=2, help=f"Samples per batch (default "
                                             f"{COORDINATION_BATCH_SIZE}: a contrastive batch's negatives and Deep CCA's "
                                             "covariances need more samples than a classifier's batch)."),
    lr: Optional[float] = LrOpt,
    optimizer: Optional[str] = OptimizerOpt,
    lr_schedule: Optional[str] = LrScheduleOpt,
    grad_clip: Optional[float] = GradClipOpt,
    patience: Optional[int] = PatienceOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: str = AcceleratorOpt,
    devices: str = DevicesOpt,
    strategy: str = StrategyOpt,
    num_nodes: int = NumNodesOpt,
    resume: bool = ResumeOpt,
    option: Optional[list[str]] = typer.Option(
        None, "--option", help="KEY=VALUE: a CoordinationConfig or TrainConfig field, e.g. reconstruction_weight=0.1, "
        "dropout=0.2, weight_decay=0; VALUE read as JSON, else text; repeatable."),
    config_file: Optional[Path] = ConfigFileOpt,
) -> None:
    """Learn a coordinated representation of two modalities; evaluate correlation, retrieval and zero-shot use.

    Writes result.json, report.md and coordination.png (and checkpoints for trained methods) into --out.
    """
    with step("imports"):
        from polymodal.coordination.config import CoordinationConfig
        from polymodal.coordination.run import coordinate as run_coordinate
        from polymodal.options import field_names
        from polymodal.training.config import TrainConfig

    flags = dict(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, lr_schedule=lr_schedule, grad_clip=grad_clip, patience=patience, accelerator=accelerator, devices=devices,
                 strategy=strategy, num_nodes=num_nodes)
    found, rest = _settings(flags, option, config_file,
                            {"train": field_names(TrainConfig), "coordination": field_names(CoordinationConfig)})
    if rest:
        key = next(iter(rest))
        raise ConfigError(f"--option {key}: not a setting of coordinate; keys are the fields of CoordinationConfig "
                          f"({', '.join(k for k in field_names(CoordinationConfig) if k not in RESERVED_KEYS)}) and of TrainConfig")
    found["train"].setdefault("batch_size", COORDINATION_BATCH_SIZE)
    config = _train_config(found["train"], seed)
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    names = [m.strip() for m in modalities.split(",") if m.strip()] if modalities else None
    out = out or Path("runs") / f"coordinate-{_slug(dataset)}-{method}"
    given = {"objective": objective, "similarity": similarity} if method == "contrastive" else {}
    options = {**found["coordination"], **{k: v for k, v in {**given, "gated": gated}.items() if v is not None}}
    templates, encoder = None, None
    if text_prompts:  # load the encoder first: a missing extra fails before any training
        from polymodal.coordination.text import DEFAULT_TEMPLATES, sentence_encoder

        templates, encoder = DEFAULT_TEMPLATES, sentence_encoder()
    result = run_coordinate(ds, method, out, modalities=names, k=k, train_config=config, options=options, resume=resume,
                            templates=templates, text_encoder=encoder)
    if not _is_rank_zero() or not result:
        return
    a, b = result["modalities"]
    table = Table(title=f"{method} on {dataset}: {a} & {b} (test split)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"total test correlation, top {len(result['test_correlations'])}", f"{result['total_test_correlation']:.3f}")
    if "retrieval" in result:
        for key in ("recall@1", "recall@10"):
            table.add_row(f"class {key}, {b} query, {a} gallery", f"{result['retrieval'][key]:.3f}")
        table.add_row(f"zero-shot {b} accuracy ({a} prototypes)", f"{result['zero_shot']['accuracy']:.3f}")
        table.add_row(f"{b} linear probe with {b} labels", f"{result['zero_shot']['supervised_probe_accuracy']:.3f}")
        table.add_row("class-shift precision@10 of the target", f"{result['class_shift']['mean_target_precision']:.3f}")
    if "zero_shot_text" in result:
        table.add_row(f"zero-shot {b} accuracy (text prompts)", f"{result['zero_shot_text']['accuracy']:.3f}")
    table.add_row("parameters", f"{result['parameters']:,}")
    table.add_row("training time (s)", f"{result['train_time_s']:.1f}")
    console.print(table)
    for reason in result["skipped"]:
        console.print(f"not evaluated: {reason}", highlight=False)
    console.print(f"wrote {out / 'result.json'}, {out / 'report.md'}, {out / 'coordination.png'}")


@app.command()
def interactions(
    model: Path = typer.Option(..., "--model", help="A checkpoint (checkpoints/best.ckpt of 'polymodal train' or 'bench')."),
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    unimodal: Optional[str] = typer.Option(
        None, "--unimodal", help="Unimodal baselines a=CKPT,b=CKPT for the response categories "
        "(default: the bench's unimodal-<m> runs beside --model, if there)."),
    split: str = typer.Option("test", "--split"),
    emap_samples: int = typer.Option(2000, "--emap-samples", min=2, help="Examples for EMAP (N^2 pairs are evaluated)."),
    pid_estimator: str = typer.Option("batch", "--pid-estimator", help="batch, cluster, or none to skip the PID."),
    pid_steps: int = typer.Option(300, "--pid-steps", min=1, help="batch: gradient steps of the learned joint "
                                  "(300: about 30 s for 10 classes on 2 CPU cores)."),
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/interactions-<dataset>)."),
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
) -> None:
    """EMAP, response categories and the PID of a trained model's predictions, in one report.

    Writes interactions.json, report.md and interactions.png into --out.
    """
    with step("imports"):
        from polymodal.interactions.analyze import analyze_interactions, bench_unimodal_checkpoints, load_unimodal
        from polymodal.interactions.report import markdown_report, plot_interactions
        from polymodal.io import atomic_write_json, atomic_write_text
        from polymodal.layout import RunLayout
        from polymodal.training.checkpoint import load_model

    if pid_estimator not in ("batch", "cluster", "none"):
        raise ConfigError(f"--pid-estimator: {pid_estimator!r} is unknown; choose batch, cluster or none")
    trained = load_model(model)
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    unknown = [m for m in trained.modalities if m not in ds.modalities]
    if unknown:
        raise ConfigError(f"--model reads {unknown}, which data set {dataset!r} does not have ({', '.join(ds.modalities)})")
    ds = ds.select(trained.modalities)
    if unimodal:
        pairs = dict(p.split("=", 1) for p in unimodal.split(",") if "=" in p)
        if len(pairs) != len([p for p in unimodal.split(",") if p.strip()]):
            raise ConfigError(f"--unimodal {unimodal!r}: expected a=CKPT,b=CKPT")
        baselines = load_unimodal(pairs)
    else:
        baselines = load_unimodal(bench_unimodal_checkpoints(model, trained.modalities)) or None
    out = out or Path("runs") / f"interactions-{_slug(dataset)}"
    pid_options = None if pid_estimator == "none" else {"estimator": pid_estimator, "run_dir": out / "pid-reduction",
                                                        "steps": pid_steps}
    result = analyze_interactions(trained, ds, unimodal=baselines, split=split, emap_samples=emap_samples,
                                  pid_options=pid_options, seed=seed, progress=progress_enabled())
    result["checkpoint"] = str(model)
    title = f"Interactions of {model} on {dataset}"
    atomic_write_json(out / "interactions.json", result)
    atomic_write_text(out / "report.md", markdown_report(result, title))
    with step("plot"):
        in_bench = RunLayout.of_checkpoint(model).bench()
        plot_interactions(result, out / "interactions.png", title=f"{dataset}: {in_bench[1] if in_bench else model.stem}")
    console.print(markdown_report(result, title), highlight=False, markup=False)
    if baselines is None:
        console.print("response categories skipped: no unimodal baselines (pass --unimodal a=CKPT,b=CKPT)", highlight=False)
    console.print(f"wrote {out / 'interactions.json'}, {out / 'report.md'}, {out / 'interactions.png'}")


@app.command()
def heterogeneity(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    modalities: Optional[str] = typer.Option(None, "--modalities", help="Comma-separated modalities, at least two (default: all)."),
    budget: int = typer.Option(20, "--budget", min=1, help="Epochs of each training from scratch (source models and the "
                               "reference on each target); >= 1. The runs are M + M^2: on 2 CPU cores hetero-groups "
                               "(M = 4) takes about 10 s, mfeat (M = 6) about 15 s, avmnist (M = 2) 9-11 min "
                               "(docs/heterogeneity.md)."),
    adapter_epochs: int = typer.Option(10, "--adapter-epochs", min=1, help="Epochs of fitting a target's input adapter with the source trunk frozen (zero-shot); >= 1."),
    finetune_steps: int = typer.Option(20, "--finetune-steps", min=0, help="Steps of fine-tuning everything after the adapter; >= 1 (0 with --score zero-shot)."),
    score: str = typer.Option("finetuned", "--score", help="Which transfer the matrix reports: finetuned or zero-shot."),
    adapter: str = typer.Option("auto", "--adapter", help="Input adapter: linear (the trunk does the processing), encoder (the kind's default encoder), or auto (linear for vectors, LeNet for images)."),
    groups: Optional[int] = typer.Option(None, "--groups", min=1, help="Number of groups (default: where the dendrogram's merge heights jump most)."),
    interactions: bool = typer.Option(False, "--interactions", help="Also the interaction matrix over modality pairs (M >= 4; O(M^4) runs: 42 for M = 4)."),
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/heterogeneity-<dataset>)."),
    resume: bool = ResumeOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
) -> None:
    """How heterogeneous the modalities are, by transfer (HighMMT): matrices, groups, heatmap.

    Writes heterogeneity.json, heterogeneity.png and report.md into --out (and the interaction
    files with --interactions). Feed the groups to --fusion heterogeneity-aware.
    """
    with step("imports"):
        from polymodal.heterogeneity import HeterogeneitySettings, format_groups, run_heterogeneity

    settings = HeterogeneitySettings(epochs=budget, adapter_epochs=adapter_epochs, finetune_steps=finetune_steps,
                                     score=score, adapter=adapter, seed=seed)  # type: ignore[arg-type]
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    names = [m.strip() for m in modalities.split(",") if m.strip()] if modalities else None
    out = out or Path("runs") / f"heterogeneity-{_slug(dataset)}"
    command = "polymodal " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with step("transfer runs"):
        results = run_heterogeneity(ds, out, names, settings, n_groups=groups, interactions=interactions,
                                    resume=resume, progress=progress_enabled(), command=command)
    for key, result in results.items():
        table = Table(title=f"{'modality' if key == 'modalities' else 'interaction'} heterogeneity on {dataset} "
                            "(bits lost by transfer, symmetric)")
        table.add_column("", no_wrap=True)
        for n in result.names:
            table.add_column(n, justify="right")
        for n, row in zip(result.names, result.matrix):
            table.add_row(n, *(f"{v:.3f}" for v in row))
        console.print(table)
        console.print("groups: " + format_groups(result.groups), highlight=False)
    written = ["heterogeneity.json", "heterogeneity.png", "report.md"]
    if interactions:
        written += ["interaction-heterogeneity.json", "interaction-heterogeneity.png"]
    console.print("wrote " + ", ".join(str(out / w) for w in written), highlight=False)


@app.command()
def robustness(
    run: Optional[Path] = typer.Option(None, "--run", help="A bench's --out folder (every trained model) or one run's (polymodal train --out)."),
    levels: str = typer.Option("0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", "--levels", help="Noise levels in [0, 1], from 0, increasing."),
    perturbation: Optional[list[str]] = typer.Option(None, "--perturbation", help="MODALITY=NAME, e.g. image=blur; repeatable (default per kind: image gaussian, spectrogram snr, vector gaussian)."),
    strategies: Optional[str] = typer.Option(None, "--strategies", help="Missing-modality strategies, comma-separated: zero, mean, token, drop, impute (default: every one each model supports)."),
    subsets: Optional[str] = typer.Option(None, "--subsets", help="Missing-modality sets to evaluate, comma-separated, + within a set, e.g. audio,image (default: every set of 1 to M - 1)."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="The data set the models were trained on (default: the one recorded in --run)."),
    data_dir: Optional[Path] = DataDirOpt,
    snr: Optional[str] = typer.Option(None, "--snr", help="avmnist: the SNR it was trained with (default: recorded in the bench, else -10)."),
    cache_dir: Optional[Path] = CacheOpt,
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the perturbations' noise."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: <run>/robustness)."),
    list_perturbations: bool = typer.Option(False, "--list", help="List the perturbations of every modality kind and exit."),
) -> None:
    """Accuracy of trained models under noise (per modality and all at once) and with modalities missing.

    Writes robustness.json, robustness.md and robustness.png into --out; a bench's report.html gets a robustness section.
    """
    with step("imports"):
        from polymodal.robustness.perturbations import PERTURBATIONS

    if list_perturbations:
        table = Table(title="perturbations (--perturbation MODALITY=NAME, --augment MODALITY=NAME:LEVEL)")
        for col in ("kind", "name"):
            table.add_column(col, no_wrap=True)
        table.add_column("what level p does", overflow="fold", ratio=1)
        for kind, table_of in PERTURBATIONS.items():
            for name, pert in table_of.items():
                table.add_row(kind, name, escape(pert.summary))
        console.print(table)
        return
    if run is None:
        raise ConfigError("--run: give a bench's or a run's output folder (or --list)")
    with step("imports"):
        from polymodal.robustness.run import RobustnessSettings, find_runs, recorded_dataset, run_robustness

    find_runs(run)  # a folder without checkpoints fails here, before any data is loaded
    try:
        level_list = [float(v) for v in levels.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--levels: {levels!r} is not a comma-separated list of numbers in [0, 1]") from None
    names = {}
    for item in perturbation or []:
        m, sep, name = item.partition("=")
        if not sep:
            raise ConfigError(f"--perturbation {item!r}: expected MODALITY=NAME, e.g. image=blur")
        names[m.strip()] = name.strip()
    subset_list = [[m.strip() for m in item.split("+") if m.strip()] for item in subsets.split(",")] if subsets else None
    settings = RobustnessSettings(levels=level_list, perturbations=names, seed=seed, subsets=subset_list,
                                  strategies=[s.strip() for s in strategies.split(",") if s.strip()] if strategies else None)
    name, options = recorded_dataset(run)
    recorded_dir = options.pop("data_dir", None)
    if dataset and dataset != name:
        name, options = dataset, {"seed": options.get("seed", 0)}
    if name in ("avmnist", "avmnist-seq"):
        options.update(cache_dir=cache_dir, **({"snr_db": snr} if snr is not None else {}))
    with step("load data"):
        from polymodal.data.registry import load_dataset

        ds = load_dataset(name, data_dir or recorded_dir, **options)
    out = out or run / "robustness"
    command = "polymodal " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with step("robustness"):
        result = run_robustness(run, ds, out, settings, progress=progress_enabled(), command=command)
    table = Table(title=f"robustness on {ds.name}: test accuracy clean, area under the curve (RR), excess over late fusion (ER)")
    table.add_column("method", no_wrap=True)
    table.add_column("clean", justify="right")
    table.add_column("RR all", justify="right")
    table.add_column("ER all", justify="right")
    for method, e in result["models"].items():
        key = "all" if "all" in e["relative_robustness"] else next(iter(e["relative_robustness"]), None)
        er = e["effective_robustness"].get(key) if key else None
        table.add_row(method, f"{e['clean']:.4f}", f"{e['relative_robustness'][key]:.4f}" if key else "–",
                      f"{er:+.4f}" if er is not None else "–")
    console.print(table)
    console.print(f"wrote {out / 'robustness.json'}, {out / 'robustness.md'}, {out / 'robustness.png'}", highlight=False)


@app.command()
def fusions() -> None:
    """List every model that --fusion and --fusions accept (the catalog), with its family, class and summary."""
    with step("imports"):
        from polymodal.catalog import CATALOG

    table = Table(title="models by name (formulas: docs/fusions.md or help(polymodal.fusion.<Class>)); "
                        "'all' = in --fusions all")
    for col in ("name", "family", "reads", "all"):
        table.add_column(col, no_wrap=True)
    table.add_column("class: summary", overflow="fold", ratio=1, min_width=30)
    for entry in CATALOG.values():
        table.add_row(entry.name, entry.family, entry.reads, "yes" if entry.in_all else "no",
                      f"[bold]{entry.defined_by}[/bold]: " + escape(entry.summary()))  # formulas hold [..]: not Rich markup
    console.print(table)




@data_app.command("info")
def data_info(
    name: str = typer.Argument(..., help="A built-in data set (digits, mfeat, avmnist, avmnist-seq, ...) or the path of an .npz file or .toml manifest."),
    data_dir: Optional[Path] = DataDirOpt,
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1),
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Show a data set's modalities, shapes, split sizes and label counts."""
    info = _load(name, data_dir, seed, snr, cache_dir).info()
    if as_json:
        console.print_json(json.dumps(info))
        return
    console.print(f"[bold]{info['name']}[/bold]: {info['description']}")
    mods = Table(title="modalities")
    for col in ("name", "kind", "shape", "description"):
        mods.add_column(col)
    for m in info["modalities"]:
        mods.add_row(m["name"], m["kind"], "x".join(map(str, m["shape"])), m["description"])
    console.print(mods)
    splits = Table(title="splits (label counts per class)")
    splits.add_column("split")
    splits.add_column("size", justify="right")
    splits.add_column("label counts")
    for split, s in info["splits"].items():
        splits.add_row(split, str(s["size"]), " ".join(map(str, s["label_counts"])))
    console.print(splits)


def main() -> None:
    """Console entry point: user errors become one line on stderr and a non-zero exit.

    With ``$POLYMODAL_STEP_TIMES`` set, the wall time of each step of the command
    (:mod:`polymodal.timing`) is written to that JSON file when the command ends.
    """
    try:
        _run()
    finally:
        if os.environ.get("POLYMODAL_STEP_TIMES") and _is_rank_zero():
            write_step_times(os.environ["POLYMODAL_STEP_TIMES"])
    _leave_data_parallel()


def _leave_data_parallel() -> None:
    """End a data-parallel command (``--devices 2 --strategy ddp``) that succeeded without the
    interpreter's teardown: gloo's worker threads can abort it (SIGABRT, "terminate called without an
    active exception"), and Lightning then kills every rank (exit -9) after the results were written.
    Every collective is done once each rank has returned, so the group is left and the process ends."""
    torch = sys.modules.get("torch")
    if torch is None or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


#: commands that only list or describe, and need no thread count measured
LISTING_COMMANDS = ("fusions", "data")


def _computes(args: list[str]) -> bool:
    """Whether the command line ``args`` runs a command that trains or estimates (not help or a listing)."""
    return bool(args) and args[0] not in LISTING_COMMANDS and not {"--help", "-h"} & set(args)


def _run() -> None:
    try:
        if _computes(sys.argv[1:]):
            configure_threads()  # before PyTorch loads: the cores other processes leave free (0.25 s to measure)
        app(standalone_mode=False)
    except PolymodalError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted: run the same command again to resume", highlight=False)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        # Usage errors (bad option, missing argument) of Typer's click, vendored or not.
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            err_console.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        raise
