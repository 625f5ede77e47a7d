"""``polymodal robustness``: how every trained model of a bench (or one run) degrades under noise and missing modalities."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError, DataFileError
from polymodal.io import atomic_write_json, atomic_write_text
from polymodal.layout import BenchLayout, RunLayout
from polymodal.models.missing import STRATEGIES, Missing, check_strategy, mean_embeddings, supported_strategies
from polymodal.progress import progress_bar
from polymodal.robustness.corrupt import corruptor_for
from polymodal.robustness.metrics import effective_robustness, relative_robustness
from polymodal.robustness.perturbations import check_level, get_perturbation
from polymodal.training.checkpoint import load_model
from polymodal.training.evaluate import evaluate

ALL = "all"
LATE_FUSION = "late"
DEFAULT_LEVELS = tuple(round(0.1 * i, 1) for i in range(10))


def level_key(level: float) -> str:
    """The JSON key of a level: ``0.3`` -> ``"0.3"``."""
    return f"{level:g}"


def subset_key(modalities: Sequence[str]) -> str:
    """The JSON key of a set of missing modalities: ``["a", "b"]`` -> ``"a+b"``."""
    return "+".join(modalities)


@dataclass
class RobustnessSettings:
    """What ``polymodal robustness`` evaluates.

    Attributes:
        levels: noise levels in [0, 1], starting at 0 (clean), increasing.
        perturbations: ``{modality: perturbation name}``; a modality not named gets its kind's default.
        strategies: the missing-modality strategies to try (each model gets those it supports);
            ``None``: every strategy of :data:`~polymodal.models.missing.STRATEGIES`.
        seed: seed of the perturbations' noise.
        batch_size: evaluation batch size.
        subsets: the sets of missing modalities to evaluate, e.g. ``[["audio"]]``; ``None``:
            every set of 1 to M - 1 of each model's modalities.
    """

    levels: Sequence[float] = DEFAULT_LEVELS
    perturbations: Mapping[str, str] = field(default_factory=dict)
    strategies: Sequence[str] | None = None
    seed: int = 0
    batch_size: int = 256
    subsets: Sequence[Sequence[str]] | None = None

    def __post_init__(self) -> None:
        self.levels = [check_level(v, "--levels") for v in self.levels]
        if not self.levels or self.levels[0] != 0.0 or any(b <= a for a, b in zip(self.levels, self.levels[1:])):
            raise ConfigError(f"--levels: {self.levels} must start at 0 and increase, e.g. 0,0.1,0.2,...,0.9")
        if self.strategies is not None:
            self.strategies = [check_strategy(s, "--strategies") for s in self.strategies]


def find_runs(path: str | Path) -> dict[str, list[RunLayout]]:
    """The trained runs under ``path``: ``{method: [run per seed]}`` of a bench, or ``{fusion: [run]}`` of one run.

    Raises:
        DataFileError: ``path`` is neither a bench folder nor a run folder with a best checkpoint.
    """
    path = Path(path)
    bench = BenchLayout(path)
    if bench.results.is_file():
        results = bench.read_results()
        runs = {m: [bench.run(m, int(s)) for s in sorted(seeds, key=int)] for m, seeds in results["runs"].items()}
        runs = {m: [r for r in rs if r.best.is_file()] for m, rs in runs.items()}
        runs = {m: rs for m, rs in runs.items() if rs}
        if not runs:
            raise DataFileError(f"--run {path}: the bench has no checkpoints (runs/<method>/seed-<S>/checkpoints/best.ckpt); train it first")
        return runs
    run = RunLayout(path)
    if not run.best.is_file():
        raise DataFileError(f"--run {path}: no checkpoints/best.ckpt here and no results.json of a bench; "
                            "pass the --out folder of 'polymodal train' or 'polymodal bench'")
    return {_fusion_of(run) if run.result.is_file() else run.root.name: [run]}


def _fusion_of(run: RunLayout) -> str:
    return json.loads(run.result.read_text()).get("fusion", run.root.name)


def recorded_dataset(path: str | Path) -> tuple[str, dict[str, Any]]:
    """``(data set name, loader options)`` recorded by the bench or run in ``path``.

    Raises:
        DataFileError: ``path`` holds neither a bench's ``results.json`` nor a run's ``result.json``.
    """
    bench, run = BenchLayout(Path(path)), RunLayout(Path(path))
    if bench.results.is_file():
        s = bench.read_results()["settings"]
        name, options = s["dataset"], dict(s.get("dataset_options", {}))
    elif run.result.is_file():
        r = json.loads(run.result.read_text())
        name, options = r["dataset"], r.get("dataset_options", {"seed": r.get("train_config", {}).get("seed", 0)})
    else:
        raise DataFileError(f"--run {path}: no results.json (bench) or result.json (run) here; pass a polymodal --out folder")
    if "path" in options:  # a user's .npz or manifest: loaded again from its file
        return options["path"], {"seed": options.get("seed", 0)}
    return name, {k: v for k, v in options.items() if k != "class_names"}


def missing_subsets(modalities: Sequence[str], requested: Sequence[Sequence[str]] | None = None) -> list[tuple[str, ...]]:
    """The sets of missing modalities to evaluate for a model reading ``modalities``.

    Without ``requested``: every non-empty set that leaves one modality (sizes 1 to M - 1).
    With it: those of the requested sets that are within ``modalities`` and leave one.
    """
    if requested is None:
        return [c for k in range(1, len(modalities)) for c in itertools.combinations(modalities, k)]
    return [tuple(s) for s in requested if set(s) <= set(modalities) and len(set(s)) < len(modalities)]


def model_robustness(model: Any, dataset: MultimodalDataset, settings: RobustnessSettings,
                     advance: Any = None) -> dict[str, Any]:
    """One model's accuracies on the test split: clean, under noise per modality and all at once, and with modalities missing.

    Returns:
        ``{"clean": acc, "noise": {m | "all": {level: acc}}, "missing": {subset: {strategy: acc}}}``.
    """
    test = dataset.splits["test"]
    names = [m for m in model.modalities if m in dataset.modalities]
    run = lambda **kw: evaluate(model, test, batch_size=settings.batch_size, seed=settings.seed, **kw).accuracy  # noqa: E731
    clean = run()
    noise: dict[str, dict[str, float]] = {}
    targets = [[m] for m in names] + ([names] if len(names) > 1 else [])
    for group in targets:
        key = group[0] if len(group) == 1 else ALL
        curve = {}
        corruptor = corruptor_for(dataset, {m: 1.0 for m in group}, settings.perturbations)  # training statistics once
        for level in settings.levels:
            if level == 0.0:
                curve[level_key(level)] = clean
                continue
            corruptor.scale = level  # every corruption at `level`
            curve[level_key(level)] = run(perturb=corruptor)
            if advance:
                advance()
        noise[key] = curve
    missing: dict[str, dict[str, float]] = {}
    supported = supported_strategies(model)
    wanted = [s for s in (settings.strategies or STRATEGIES) if s in supported]
    means = mean_embeddings(model, dataset.splits["train"], settings.batch_size) if "mean" in wanted else None
    for subset in missing_subsets(names, settings.subsets):
        missing[subset_key(subset)] = {s: run(missing=Missing(subset, s, means)) for s in wanted}
        if advance:
            advance(len(wanted))
    return {"clean": clean, "noise": noise, "missing": missing}


def _mean_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The seed-mean of :func:`model_robustness` outputs (same keys)."""
    first = results[0]
    return {
        "clean": float(np.mean([r["clean"] for r in results])),
        "noise": {k: {lv: float(np.mean([r["noise"][k][lv] for r in results])) for lv in curve}
                  for k, curve in first["noise"].items()},
        "missing": {k: {s: float(np.mean([r["missing"][k][s] for r in results])) for s in accs}
                    for k, accs in first["missing"].items()},
    }


def add_metrics(models: dict[str, dict[str, Any]], levels: Sequence[float]) -> None:
    """Add ``relative_robustness`` and ``effective_robustness`` (``{}`` without a late-fusion model) to each model's entry."""
    late = models.get(LATE_FUSION)
    for entry in models.values():
        curves = entry["noise"]
        entry["relative_robustness"] = {k: relative_robustness(levels, [c[level_key(v)] for v in levels]) for k, c in curves.items()}
        entry["effective_robustness"] = {
            k: effective_robustness(levels, [c[level_key(v)] for v in levels], [late["noise"][k][level_key(v)] for v in levels])
            for k, c in curves.items() if late is not None and k in late["noise"]
        }


def check_request(runs_models: dict[str, Any], dataset: MultimodalDataset, settings: RobustnessSettings) -> None:
    """Raise :class:`ConfigError` for a perturbation unknown for its modality's kind, or a strategy no model supports."""
    for subset in settings.subsets or []:
        unknown = [m for m in subset if m not in dataset.modalities]
        if unknown or not subset:
            raise ConfigError(f"--subsets: {subset_key(subset) or 'an empty set'} names no modality set of {dataset.name!r} "
                              f"({', '.join(dataset.modalities)})")
        if set(subset) >= set(dataset.modalities):
            raise ConfigError(f"--subsets: {subset_key(subset)} removes every modality; at least one must remain "
                              f"(choose sets of at most {len(dataset.modalities) - 1} of {', '.join(dataset.modalities)})")
    for m, name in settings.perturbations.items():
        if m not in dataset.modalities:
            raise ConfigError(f"--perturbation {m}={name}: no modality {m!r} in {dataset.name!r} ({', '.join(dataset.modalities)})")
        get_perturbation(dataset.modalities[m].kind, name)
    if settings.strategies:
        supported = {s for model in runs_models.values() for s in supported_strategies(model)}
        unsupported = [s for s in settings.strategies if s not in supported]
        if unsupported:
            which = "the model" if len(runs_models) == 1 else "no model of the bench"
            raise ConfigError(f"--strategies: {which} supports {', '.join(unsupported)}; supported: {', '.join(sorted(supported))} "
                              "(token and impute need a model trained with them)")


def run_robustness(path: str | Path, dataset: MultimodalDataset, out: str | Path, settings: RobustnessSettings, *,
                   progress: bool = False, command: str = "") -> dict[str, Any]:
    """Evaluate every trained model under ``path`` and write ``robustness.json``, ``robustness.md`` and ``robustness.png`` into ``out``.

    Each model of a bench is evaluated with every seed's checkpoint; the figures are seed means,
    so ``clean`` equals the bench's mean test accuracy (the same :func:`~polymodal.training.evaluate.evaluate`).
    A bench's ``report.html`` gets a robustness section.

    Returns:
        ``{"models": {method: {"clean", "noise", "missing", "relative_robustness", "effective_robustness"}}}``.
    """
    runs = find_runs(path)
    first = {m: load_model(rs[0].best) for m, rs in runs.items()}
    check_request(first, dataset, settings)
    for method, model in first.items():
        unknown = [m for m in model.modalities if m not in dataset.modalities]
        if unknown:
            raise ConfigError(f"{method} reads {unknown}, which data set {dataset.name!r} does not have; pass its --dataset")
    total = 0
    for method, model in first.items():
        k = len(model.modalities)
        wanted = [s for s in (settings.strategies or STRATEGIES) if s in supported_strategies(model)]
        total += len(runs[method]) * ((k + (k > 1)) * (len(settings.levels) - 1)
                                      + len(missing_subsets(model.modalities, settings.subsets)) * len(wanted))
    models: dict[str, dict[str, Any]] = {}
    with progress_bar("robustness", total, progress) as advance:
        for method, rs in runs.items():
            per_seed = []
            for i, run in enumerate(rs):
                model = first[method] if i == 0 else load_model(run.best)
                advance(0, description=f"robustness: {method}, seed {run.root.name}")
                per_seed.append(model_robustness(model, dataset.select(model.modalities), settings, advance))
            models[method] = _mean_of(per_seed)
    add_metrics(models, settings.levels)
    result = {"models": models}
    out = Path(out)
    atomic_write_json(out / "robustness.json", result)
    from polymodal.robustness.report import markdown_report, plot_robustness

    title = f"Robustness on {dataset.name}"
    atomic_write_text(out / "robustness.md", markdown_report(result, title, settings, command,
                                                             seeds=max(len(r) for r in runs.values())))
    plot_robustness(result, out / "robustness.png", title=title)
    bench = BenchLayout(Path(path))
    if bench.results.is_file():
        from polymodal.bench.report import write_reports

        write_reports(bench.read_results(), bench.root, robustness_dir=out)
    return result
