"""One row per method from its runs over several seeds: mean and spread of accuracy, medians of costs."""

from __future__ import annotations

import statistics
from typing import Any, Collection, Mapping

#: Summarised as mean and sample standard deviation (``<key>_std``) over seeds.
MEAN_KEYS = ("test_accuracy", "test_macro_f1", "epochs")
#: Summarised as the median over seeds (timings on a shared machine are noisy).
MEDIAN_KEYS = ("train_time_s", "peak_memory_mib", "inference_time_per_sample_s")


def summarize(method: str, runs: Mapping[str, dict[str, Any]], timing_seeds: Collection[int] | None = None) -> dict[str, Any]:
    """Summarise the fit results of one method.

    Args:
        method: the method's name.
        runs: ``{seed: fit result}``, at least one.
        timing_seeds: take the costs (:data:`MEDIAN_KEYS`) from these seeds only, e.g. the seeds
            that ran on an otherwise idle machine (all seeds if ``None`` or if none of them ran).

    Returns:
        ``{"method", "seeds", "parameters", <MEAN_KEYS>, <MEAN_KEYS>_std, <MEDIAN_KEYS>}``, plus
        ``"routing"`` (mean branch fractions and compute saved, over the seeds whose model routes) for
        dynamic fusion, and for fusions
        ``"imbalance"``: per modality, the mean over seeds of the linear probe's test accuracy
        (``probe``) and of the contribution to validation accuracy in the last epoch
        (``contribution``). The standard deviation is 0 for one seed.
    """
    results = list(runs.values())
    row: dict[str, Any] = {"method": method, "seeds": [int(s) for s in runs], "parameters": results[0]["parameters"]}
    for key in MEAN_KEYS:
        values = [float(r[key]) for r in results]
        row[key] = statistics.fmean(values)
        row[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    timed = [r for s, r in runs.items() if timing_seeds is None or int(s) in timing_seeds] or results
    for key in MEDIAN_KEYS:
        values = [r[key] for r in timed if r.get(key) is not None]
        row[key] = statistics.median(values) if values else None
    # a model saved while its gate was held uniform (dynamic fusion's experts' epochs) routed nothing
    routings = [r["routing"] for r in results if "routing" in r and not r["routing"].get("experts_only")]
    if routings:
        row["routing"] = {
            "fraction": {b: statistics.fmean(r["fraction"][b] for r in routings) for b in routings[0]["fraction"]},
            "compute_saved": statistics.fmean(r["compute_saved"] for r in routings),
        }
    imbalances = [r["imbalance"] for r in results if "imbalance" in r]
    if imbalances:
        modalities = list(imbalances[0]["linear_probe_accuracy"])
        row["imbalance"] = {
            "probe": {m: statistics.fmean(i["linear_probe_accuracy"][m] for i in imbalances) for m in modalities},
            "contribution": {m: statistics.fmean(i["contribution_per_epoch"][m][-1] for i in imbalances)
                             for m in modalities},
        }
    return row


def below_unimodal_by_seed(runs: Mapping[str, Mapping[str, dict[str, Any]]]) -> dict[str, dict[str, tuple[float, float]]]:
    """The fused methods that do not beat the best unimodal baseline of the same seed.

    A fusion should beat every single modality on every seed, not only on average: the mean over
    seeds can hide a seed where the fusion never learned one modality.

    Args:
        runs: a bench's ``{method: {seed: fit result}}``; the baselines are named ``unimodal:*``.

    Returns:
        ``{method: {seed: (its test accuracy, the seed's best unimodal accuracy)}}`` for each seed
        where the method's accuracy is not above the best baseline's (empty when every fusion
        beats it everywhere). Seeds without a baseline are not judged.
    """
    best: dict[str, float] = {}
    for method, by_seed in runs.items():
        if method.startswith("unimodal:"):
            for seed, result in by_seed.items():
                best[seed] = max(best.get(seed, float("-inf")), float(result["test_accuracy"]))
    below: dict[str, dict[str, tuple[float, float]]] = {}
    for method, by_seed in runs.items():
        if method.startswith("unimodal:"):
            continue
        for seed, result in by_seed.items():
            accuracy = float(result["test_accuracy"])
            if seed in best and accuracy <= best[seed]:
                below.setdefault(method, {})[seed] = (accuracy, best[seed])
    return below
