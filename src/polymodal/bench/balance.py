"""What each balancing method of a bench gains over joint training, and what it costs.

A bench with ``--balance none,M,...`` names its runs ``FUSION`` (joint training) and
``FUSION+M``. For a method ``M`` and each fusion it trained, the gain is measured pair by pair,
against joint training of the same fusion and seed:

    gain(M, f) = mean_s 100 * (acc(f+M, s) - acc(f, s))        (accuracy points)
    gain(M)    = mean_f gain(M, f)

as BalanceBenchmark (GeWu-Lab, 2025) reports gains over its joint-training baseline; beside it
the number of (fusion, seed) pairs that ``M`` improves, the lowest and highest single-pair
difference (a mean gain near 0 may hide large swings either way), and its cost as the median over the pairs
of ``time(f+M, s) / time(f, s)``, per run and per epoch (early stopping ends the two runs after
different numbers of epochs). Times compare only between runs made in one environment and on one
machine between two restarts (:func:`comparable_times`); other pairs count in the gains only. What a method does to one
modality's encoder is paired the same way: the change of the linear probe on it (:func:`probe_gains`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from polymodal.training.balance.choices import BALANCE_METHODS

#: ``{method name: {seed: result}}``, a bench's ``results["runs"]``
Runs = Mapping[str, Mapping[str, Mapping[str, Any]]]


def split_method(method: str) -> tuple[str, str]:
    """``"tensor+agm" -> ("tensor", "agm")``, ``"tensor" -> ("tensor", "none")``."""
    fusion, _, balance = method.partition("+")
    return fusion, balance or "none"


def not_run_summary(skipped: Mapping[str, str]) -> str:
    """The methods a bench skipped, grouped by reason: ``"a, b: reason; c: other reason"``.

    A reason that names its own method's fusion in quotes (``--balance ogm ... 'gated' does not``)
    is read with "the fusion" in its place, so that one reason shared by several fusions is given once.

    Args:
        skipped: ``{method name: reason}``, a bench's ``results["skipped"]``.
    """
    by_reason: dict[str, list[str]] = {}
    for method, reason in skipped.items():
        general = reason.replace(f"'{split_method(method)[0]}'", "the fusion").rstrip(".")
        by_reason.setdefault(general, []).append(method)
    return "; ".join(f"{', '.join(methods)}: {reason}" for reason, methods in by_reason.items())


def comparable_times(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two runs' training times compare: their ``environment`` records (packages, platform,
    CPU kernels) agree, and so do their ``host`` records (:func:`polymodal.environment.host`: one
    machine, one boot). Two runs made before results recorded the host compare by their environment
    alone; such a run and one that records its host do not (where the first ran is unknown)."""
    return a.get("environment") == b.get("environment") and a.get("host") == b.get("host")


def time_per_epoch(run: Mapping[str, Any]) -> float:
    """A run's training time per epoch run (s)."""
    return run["train_time_s"] / max(run["epochs"], 1)


def by_fusion_and_method(runs: Runs) -> dict[tuple[str, str], Mapping[str, Mapping[str, Any]]]:
    """``{(fusion, method): {seed: result}}`` of the runs that train a fusion (no unimodal baselines)."""
    return {split_method(m): by_seed for m, by_seed in runs.items() if not m.startswith("unimodal:")}


def _paired_runs(runs: Runs) -> dict[str, dict[str, tuple[Mapping[str, Any], Mapping[str, Any], list[str]]]]:
    """``{method: {fusion: (its runs by seed, joint training's runs by seed, the seeds both have)}}``
    for every balancing method other than ``none``, in the order of ``BALANCE_METHODS``; a fusion
    without a joint-training run of a common seed is left out, and so is a method left with none."""
    cell = by_fusion_and_method(runs)
    paired: dict[str, dict[str, tuple[Mapping[str, Any], Mapping[str, Any], list[str]]]] = {}
    for b in BALANCE_METHODS:
        for (f, method), by_seed in cell.items():
            base = cell.get((f, "none"))
            seeds = [s for s in by_seed if s in base] if b != "none" and method == b and base else []
            if seeds:
                paired.setdefault(b, {})[f] = (by_seed, base, seeds)
    return paired


@dataclass(frozen=True)
class MethodGain:
    """One balancing method against joint training (see the module's docstring).

    Attributes:
        gain: mean over the fusions of the per-fusion gains, in accuracy points.
        per_fusion: ``{fusion: mean gain over its seeds}``.
        improved: (fusion, seed) pairs whose accuracy the method raised.
        pairs: (fusion, seed) pairs compared.
        lowest: the smallest single-pair difference, in points (how far one run can fall).
        highest: the largest (how far one run can gain), beside ``gain``, a mean.
        time_ratio: median of the pairs' training-time ratios (``None``: no pair whose times compare).
        time_per_epoch_ratio: the same per epoch.
        pairs_not_timed: pairs left out of the ratios, their times not comparable (:func:`comparable_times`).
    """

    gain: float
    per_fusion: dict[str, float]
    improved: int
    pairs: int
    lowest: float
    highest: float
    time_ratio: float | None
    time_per_epoch_ratio: float | None
    pairs_not_timed: int


def balance_gains(runs: Runs) -> dict[str, MethodGain]:
    """``{method: MethodGain}`` for every balancing method with a joint-training run of the same
    fusion and seed, in the order of ``BALANCE_METHODS``; ``{}`` for a bench without balancing."""
    gains = {}
    for b, paired in _paired_runs(runs).items():
        per_fusion, every, ratios, epoch_ratios, apart = {}, [], [], [], 0
        for f, (by_seed, base, seeds) in paired.items():
            diffs = [100 * (by_seed[s]["test_accuracy"] - base[s]["test_accuracy"]) for s in seeds]
            per_fusion[f] = statistics.mean(diffs)
            every += diffs
            timed = [s for s in seeds if comparable_times(by_seed[s], base[s])]
            ratios += [by_seed[s]["train_time_s"] / base[s]["train_time_s"] for s in timed]
            epoch_ratios += [time_per_epoch(by_seed[s]) / time_per_epoch(base[s]) for s in timed]
            apart += len(seeds) - len(timed)
        gains[b] = MethodGain(statistics.mean(per_fusion.values()), per_fusion, sum(d > 0 for d in every), len(every),
                              min(every), max(every),
                              statistics.median(ratios) if ratios else None,
                              statistics.median(epoch_ratios) if epoch_ratios else None, apart)
    return gains


@dataclass(frozen=True)
class ProbeGain:
    """What one balancing method does to a modality's encoder: the change of the linear probe on it
    (``imbalance.linear_probe_accuracy``), pair by pair against joint training of the same fusion
    and seed, in accuracy points.

    Attributes:
        lowest: the smallest change over the pairs.
        highest: the largest.
        raised: pairs whose probe the method raised.
        pairs: pairs compared (both runs probed the modality).
    """

    lowest: float
    highest: float
    raised: int
    pairs: int


def probe_gains(runs: Runs, modality: str) -> dict[str, ProbeGain]:
    """``{method: ProbeGain}`` of ``modality``'s probe for every balancing method with a pair of
    probed runs (the method's and joint training's, same fusion and seed), in the order of
    ``BALANCE_METHODS``. Paired, not means over fusions: a method's seeds and joint training's need not
    be the same set while a bench is under way; ``{}`` for runs without probes.

    Raises:
        ValueError: the runs probe other modalities, not ``modality``.
    """

    def probes(run: Mapping[str, Any]) -> Mapping[str, float]:
        return run.get("imbalance", {}).get("linear_probe_accuracy", {})

    def probe(run: Mapping[str, Any]) -> float | None:
        return probes(run).get(modality)

    probed = {m for by_seed in runs.values() for run in by_seed.values() for m in probes(run)}
    if probed and modality not in probed:
        raise ValueError(f"modality={modality!r} has no linear probe in these runs; pass one of {sorted(probed)}")
    gains = {}
    for b, paired in _paired_runs(runs).items():
        diffs = [100 * (probe(by_seed[s]) - probe(base[s])) for by_seed, base, seeds in paired.values()
                 for s in seeds if probe(by_seed[s]) is not None and probe(base[s]) is not None]
        if diffs:
            gains[b] = ProbeGain(min(diffs), max(diffs), sum(d > 0 for d in diffs), len(diffs))
    return gains


def probe_gains_summary(gains: Mapping[str, ProbeGain], modality: str) -> str:
    """One sentence of :func:`probe_gains`: per method, the pairs whose ``modality`` probe it raised and
    the range of the change; "" without pairs."""
    if not gains:
        return ""
    parts = [f"{b} {g.raised}/{g.pairs} ({g.lowest:+.1f} to {g.highest:+.1f})" for b, g in gains.items()]
    return (f"Paired with joint training of the same fusion and seed, the pairs whose {modality} probe each method "
            f"raised, and the change in points (lowest to highest): {'; '.join(parts)}.\n")


def _grid(runs: Runs, seeds: list[int], summary: Callable[[list[float]], str]) -> str:
    """A Markdown table, a row per fusion and a column per balancing method, each cell
    ``summary(test accuracies over the seeds)`` with the count in brackets where fewer than
    ``seeds`` finished ("–" for none); "" for a bench without balancing."""
    cell = by_fusion_and_method(runs)
    methods = [b for b in BALANCE_METHODS if any(method == b for _, method in cell)]
    if set(methods) <= {"none"}:
        return ""
    lines = ["| fusion | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for f in dict.fromkeys(f for f, _ in cell):
        row = []
        for b in methods:
            by_seed = cell.get((f, b), {})
            acc = [by_seed[s]["test_accuracy"] for s in sorted(by_seed)]
            row.append(summary(acc) + (f" ({len(acc)})" if len(acc) != len(seeds) else "") if acc else "–")
        lines.append(f"| {f} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def accuracy_table(runs: Runs, seeds: list[int]) -> str:
    """A Markdown table of test accuracy, a row per fusion and a column per balancing method (mean
    ± s.d. over the seeds, the mean alone for one seed; the count in brackets where fewer than
    ``seeds`` finished), then the unimodal baselines' means; "" for a bench without balancing."""
    table = _grid(runs, seeds, lambda acc: f"{statistics.mean(acc):.4f}"
                  + (f" ± {statistics.stdev(acc):.4f}" if len(acc) > 1 else ""))
    alone = {m.split(":", 1)[1]: statistics.mean(r["test_accuracy"] for r in by_seed.values())
             for m, by_seed in runs.items() if m.startswith("unimodal:") and by_seed}
    if table and alone:
        table += "\nUnimodal baselines: " + ", ".join(f"{m} {a:.4f}" for m, a in alone.items()) + ".\n"
    return table


def lowest_table(runs: Runs, seeds: list[int]) -> str:
    """A Markdown table of the lowest test accuracy over the seeds, a row per fusion and a column per
    balancing method (the count in brackets where fewer than ``seeds`` finished): the view of a
    per-seed target such as "at least 0.84 on every seed"; "" for a bench without balancing or with
    fewer than two seeds."""
    return _grid(runs, seeds, lambda acc: f"{min(acc):.4f}") if len(seeds) >= 2 else ""


def gains_table(gains: Mapping[str, MethodGain]) -> str:
    """A Markdown table of :func:`balance_gains`, one row per method (its range over the fusions, or the one
    fusion it was compared on, and the range of its single-pair differences); "" without methods."""
    if not gains:
        return ""
    lines = ["| method | gain over joint training (points, mean over fusions) | range over fusions | pairs improved | "
             "one pair, lowest to highest (points) | time / joint training (median) | "
             "time per epoch / joint training (median) |", "|---|---:|---|---:|---|---:|---:|"]
    for b, g in gains.items():
        lo, hi = min(g.per_fusion.items(), key=lambda x: x[1]), max(g.per_fusion.items(), key=lambda x: x[1])
        fewer = f" ({g.pairs - g.pairs_not_timed} pairs)" if g.pairs_not_timed else ""
        cost, epoch_cost = (f"{x:.2f}x{fewer}" if x is not None else "–" for x in (g.time_ratio, g.time_per_epoch_ratio))
        spread = f"{lo[1]:+.1f} ({lo[0]}) to {hi[1]:+.1f} ({hi[0]})" if len(g.per_fusion) > 1 else f"{lo[0]} only"
        lines.append(f"| {b} | {g.gain:+.1f} | {spread} | {g.improved}/{g.pairs} | {g.lowest:+.1f} to {g.highest:+.1f} | "
                     f"{cost} | {epoch_cost} |")
    if any(g.pairs_not_timed for g in gains.values()):
        lines.append("\nA cost ratio in brackets comes from fewer pairs: the others' two runs were made in different "
                     "environments or on different machines (their `environment` or `host` records differ), whose times "
                     "do not compare.")
    return "\n".join(lines) + "\n"
