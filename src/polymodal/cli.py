"""The ``polymodal`` command line: ``bench``, ``train``, ``coordinate``, ``interactions``, ``pid``, ``heterogeneity``, ``robustness``, ``fusions`` and ``data info``."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from polymodal.errors import ConfigError, PolymodalError
from polymodal.progress import progress_enabled
from polymodal.timing import step, write_step_times

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
EpochsOpt = typer.Option(30, "--epochs", min=1, help="Maximum epochs.")
SeedOpt = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the split, weights and shuffling.")
LrOpt = typer.Option(1e-3, "--lr", help="Adam learning rate.")
PatienceOpt = typer.Option(8, "--patience", min=0, help="Early stopping: epochs without a better validation score.")
AcceleratorOpt = typer.Option("auto", "--accelerator", help="Passed to Lightning: cpu, gpu, auto, ...")
DevicesOpt = typer.Option("1", "--devices", help="Passed to Lightning: a count, a list or 'auto'.")
StrategyOpt = typer.Option("auto", "--strategy", help="Passed to Lightning: auto, ddp, ...")
NumNodesOpt = typer.Option(1, "--num-nodes", min=1, help="Passed to Lightning.")
#: ``bench`` rewrites its reports (plots, HTML) at most this often while it runs, and once at the end.
REPORT_INTERVAL_S = 30.0
ResumeOpt = typer.Option(True, "--resume/--no-resume", help="Continue from the last checkpoint in --out.")
AugmentOpt = typer.Option(None, "--augment", help="Noise in training, MODALITY=PERTURBATION:LEVEL,..., e.g. image=gaussian:0.3,audio=snr:0.5 (polymodal robustness --list).")
AugmentScheduleOpt = typer.Option("constant", "--augment-schedule", help="constant, or linear (the level ramps up over the epochs).")
ModalityDropoutOpt = typer.Option(0.0, "--modality-dropout", help="Drop each modality of a training example with this probability in [0, 1) (one always stays).")
MissingStrategyOpt = typer.Option("zero", "--missing-strategy", help="How dropped modalities are filled in training: zero, token (a learned embedding), drop (late, gated, mixture, additive, multiplicative) or impute (with --imputer).")
ImputerOpt = typer.Option(None, "--imputer", help="Give the model a translation imputer (strategy impute), trained joint or after.")
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


def _train_config(epochs: int, batch_size: int, lr: float, patience: int, seed: int,
                  accelerator: str, devices: str, strategy: str, num_nodes: int, robust: dict | None = None):
    with step("imports"):
        from polymodal.training.fit import TrainConfig

    return TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, seed=seed,
                       accelerator=accelerator, devices=_devices(devices), strategy=strategy, num_nodes=num_nodes,
                       **(robust or {}))


#: hidden width of the imputer that --imputer gives a model
IMPUTER_HIDDEN = 128


def _robust_options(augment: Optional[str], schedule: str, dropout: float, missing: str, imputer: Optional[str]
                    ) -> tuple[dict, dict]:
    """``(TrainConfig fields, ModelConfig fields)`` of the robust-training options."""
    from polymodal.robustness.corrupt import parse_augment

    aug = {m: f"{n}:{lv:g}" for m, (n, lv) in parse_augment(augment).items()}
    train = {"augment": aug, "augment_schedule": schedule, "modality_dropout": dropout, "missing_strategy": missing,
             "impute": imputer}
    model = {}
    if missing == "token":
        model["missing_token"] = True
    if imputer is not None:
        model["imputer"] = IMPUTER_HIDDEN
    return train, model


@app.command()
def bench(
    dataset: str = DatasetOpt,
    data_dir: Optional[Path] = DataDirOpt,
    fusions: str = typer.Option("all", "--fusions", help="Comma-separated fusion names, or 'all'. With 'all' (20 "
                                "models per seed) on 2 CPU cores: digits about 1 minute, avmnist about 90 minutes (there "
                                "'late' alone, with its two baselines, about 9; docs/cli_defaults.md)."),
    epochs: int = typer.Option(30, "--epochs", min=1, help="Maximum epochs per method (the time grows about linearly)."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the split, weights and shuffling."),
    seeds: Optional[str] = typer.Option(
        None, "--seeds", help="Comma-separated training seeds, e.g. 0,1,2: accuracy is reported as mean ± s.d. "
        "The split uses the first unless --split-seed is given; each seed adds the time of one bench. Default: --seed."),
    split_seed: Optional[int] = typer.Option(
        None, "--split-seed", min=0, max=2**32 - 1, help="Seed of the data split (avmnist: also of the pairing and the "
        "noise). Default: the first of --seeds. Give it to add seeds in another process: --seeds 2 --split-seed 0."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/bench-<dataset>)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1),
    lr: float = typer.Option(1e-3, "--lr"),
    patience: int = typer.Option(8, "--patience", min=0, help="Early stopping: epochs without a better validation accuracy."),
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: str = typer.Option("auto", "--accelerator", help="Passed to Lightning: cpu, gpu, auto, ..."),
    devices: str = typer.Option("1", "--devices", help="Passed to Lightning: a count, a list or 'auto'."),
    strategy: str = typer.Option("auto", "--strategy", help="Passed to Lightning: auto, ddp, ..."),
    num_nodes: int = typer.Option(1, "--num-nodes", min=1, help="Passed to Lightning."),
    augment: Optional[str] = AugmentOpt,
    augment_schedule: str = AugmentScheduleOpt,
    modality_dropout: float = ModalityDropoutOpt,
    missing_strategy: str = MissingStrategyOpt,
    imputer: Optional[str] = ImputerOpt,
    sequence_encoder: Optional[str] = SequenceEncoderOpt,
) -> None:
    """Train the unimodal baselines and each fusion; write results.json, results.md and report.html."""
    with step("imports"):
        from polymodal.bench import parse_fusions, run_bench, write_reports
        from polymodal.bench.progress import BenchProgress
        from polymodal.bench.report import TERMINAL_COLUMNS, terminal_rows
        from polymodal.bench.runner import parse_seeds

    names = parse_fusions(fusions)
    seed_list = parse_seeds(seeds) if seeds is not None else [seed]
    seed = seed_list[0]
    out = out or Path("runs") / f"bench-{_slug(dataset)}"
    robust, model_options = _robust_options(augment, augment_schedule, modality_dropout, missing_strategy, imputer)
    if sequence_encoder is not None:
        model_options["sequence_encoder"] = sequence_encoder
    config = _train_config(epochs, batch_size, lr, patience, seed, accelerator, devices, strategy, num_nodes, robust)
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
                            on_result=report if show else None, command=command)
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
    fusion: str = typer.Option("early", "--fusion", help="A fusion name, heterogeneity-aware (--option groups=measured --option heterogeneity=DIR/heterogeneity.json), a fission model (discriminative-fission, factorized, autoencoder), or 'unimodal' with one --modalities."),
    modalities: Optional[str] = typer.Option(None, "--modalities", help="Comma-separated modalities (default: all)."),
    epochs: int = EpochsOpt,
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/train-<dataset>-<fusion>)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1),
    lr: float = LrOpt,
    patience: int = PatienceOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: str = AcceleratorOpt,
    devices: str = DevicesOpt,
    strategy: str = StrategyOpt,
    num_nodes: int = NumNodesOpt,
    resume: bool = ResumeOpt,
    option: Optional[list[str]] = typer.Option(
        None, "--option", help="A fusion option KEY=VALUE (VALUE read as JSON, else text), e.g. --option rank=8; repeatable."),
    augment: Optional[str] = AugmentOpt,
    augment_schedule: str = AugmentScheduleOpt,
    modality_dropout: float = ModalityDropoutOpt,
    missing_strategy: str = MissingStrategyOpt,
    imputer: Optional[str] = ImputerOpt,
    sequence_encoder: Optional[str] = SequenceEncoderOpt,
) -> None:
    """Train one model; write checkpoints, result.json and test_predictions.csv into --out."""
    with step("imports"):
        from polymodal.fusion.registry import fusion_names
        from polymodal.models.build import UNIMODAL, ModelConfig, build_model, named_models
        from polymodal.training.fit import fit

    known = [UNIMODAL, *fusion_names(), *named_models()]
    if fusion not in known:
        raise ConfigError(f"--fusion: {fusion!r} is unknown; choose from {', '.join(known)}")
    robust, model_options = _robust_options(augment, augment_schedule, modality_dropout, missing_strategy, imputer)
    if sequence_encoder is not None:
        model_options["sequence_encoder"] = sequence_encoder
    config = _train_config(epochs, batch_size, lr, patience, seed, accelerator, devices, strategy, num_nodes, robust)
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    if modalities:
        ds = ds.select([m.strip() for m in modalities.split(",") if m.strip()])
    out = out or Path("runs") / f"train-{_slug(dataset)}-{fusion}"
    model_config = ModelConfig.for_dataset(ds, fusion, fusion_options=_fusion_options(option or []), **model_options)
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
    objective: str = typer.Option("infonce", "--objective", help="contrastive: infonce (CLIP) or max-margin."),
    similarity: str = typer.Option("cosine", "--similarity", help="contrastive: cosine, dot, euclidean, linear, polynomial, rbf, laplacian."),
    gated: bool = typer.Option(False, "--gated/--no-gated", help="Gate each representation by both modalities."),
    text_prompts: bool = typer.Option(False, "--text-prompts/--no-text-prompts",
                                      help="Also classify b zero-shot by text prompts of the class names (needs polymodal[text])."),
    epochs: int = EpochsOpt,
    seed: int = SeedOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: runs/coordinate-<dataset>-<method>)."),
    batch_size: int = typer.Option(128, "--batch-size", min=2),
    lr: float = LrOpt,
    patience: int = PatienceOpt,
    snr: str = SnrOpt,
    cache_dir: Optional[Path] = CacheOpt,
    accelerator: str = AcceleratorOpt,
    devices: str = DevicesOpt,
    strategy: str = StrategyOpt,
    num_nodes: int = NumNodesOpt,
    resume: bool = ResumeOpt,
    option: Optional[list[str]] = typer.Option(
        None, "--option", help="A CoordinationConfig field KEY=VALUE, e.g. --option reconstruction_weight=0.1; repeatable."),
) -> None:
    """Learn a coordinated representation of two modalities; evaluate correlation, retrieval and zero-shot use.

    Writes result.json, report.md and coordination.png (and checkpoints for trained methods) into --out.
    """
    with step("imports"):
        from polymodal.coordination.run import coordinate as run_coordinate

    config = _train_config(epochs, batch_size, lr, patience, seed, accelerator, devices, strategy, num_nodes)
    ds = _load(dataset, data_dir, seed, snr, cache_dir)
    names = [m.strip() for m in modalities.split(",") if m.strip()] if modalities else None
    out = out or Path("runs") / f"coordinate-{_slug(dataset)}-{method}"
    options = {"objective": objective, "similarity": similarity, "gated": gated} if method == "contrastive" else {"gated": gated}
    options.update(_fusion_options(option or []))
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
    """List the fusions that --fusions and --fusion accept, with the class and source of each."""
    with step("imports"):
        from polymodal.fusion.registry import FUSIONS, READS_TOKENS, make_fusion
        from polymodal.models.heterogeneity_aware import HETEROGENEITY_AWARE

    table = Table(title="fusions (formulas: docs/fusions.md or help(polymodal.fusion.<Class>))")
    for col in ("name", "class", "reads"):
        table.add_column(col, no_wrap=True)
    table.add_column("summary", overflow="fold", ratio=1)
    for name in FUSIONS:
        fusion = make_fusion(name, {"a": 4, "b": 4}, hidden_dim=4, num_classes=2)
        doc = (type(fusion).__doc__ or "").strip().split("\n\n")[0]
        summary = escape(" ".join(doc.replace("``", "").split()))  # formulas hold [..]: not Rich markup
        table.add_row(name, type(fusion).__name__, "raw patches" if name in READS_TOKENS else "embeddings", summary)
    table.add_row(HETEROGENEITY_AWARE, "GroupedPairFusion", "group trunks",
                  "By name only (not in --fusions all): modalities of one group share an encoder trunk after their own "
                  "input projections; groups from polymodal heterogeneity (--option groups=measured) or given.")
    console.print(table)


def _fusion_options(pairs: list[str]) -> dict:
    """``["rank=8", "gate=hard"]`` -> ``{"rank": 8, "gate": "hard"}``."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE, e.g. --option rank=8")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


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


def _run() -> None:
    try:
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
