"""A bench's results kept apart from its machine, and put back, so that a bench can span machines.

A bench's ``results.json`` holds every run's result; its run folders (checkpoints, logs) are large
and stay where they were made. :func:`portable_results` makes the checkpoint paths relative to the
bench folder, so that the kept file names no path of the machine; :func:`local_results` puts them
under another bench folder; :func:`add_missing_runs` joins a kept file to a folder's own results.
A ``polymodal bench`` whose ``--out`` holds restored results skips the runs they list and trains
the rest (its resume): ``benchmarks/keep_bench.py`` does both steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from polymodal.errors import ConfigError


#: how many levels of a kept file's entries are laid out line by line: a run (``runs``: method, seed)
#: and a method's summary (``methods``) take one line each
_KEPT_LEVELS = {"runs": 2, "methods": 1}


def kept_text(results: dict[str, Any]) -> str:
    """Kept results as JSON text with one run's result, or one method's summary, per line.

    Indenting every number of a bench's 150 runs made a kept file of 1 MB; one line per run keeps
    it near two thirds of that, and a diff still shows which runs changed.
    """
    def block(value: Any, levels: int, indent: str) -> str:
        if levels == 0 or not isinstance(value, dict) or not value:
            return json.dumps(value, ensure_ascii=False)
        inner = indent + " "
        entries = [f"{inner}{json.dumps(k)}: {block(v, levels - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(entries) + f"\n{indent}}}"

    entries = [f" {json.dumps(k)}: {block(v, _KEPT_LEVELS.get(k, 0), ' ')}" for k, v in results.items()]
    return "{\n" + ",\n".join(entries) + "\n}\n"


def _copy(results: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(results))


def _results_of_runs(results: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (result for by_seed in results["runs"].values() for result in by_seed.values())


def portable_results(results: dict[str, Any], bench: str | Path) -> dict[str, Any]:
    """``results`` with every run's checkpoint path relative to the ``bench`` folder.

    Args:
        results: a bench's ``results.json`` content (``{"runs": {method: {seed: result}}, ...}``).
        bench: the bench folder the results were made in.

    Raises:
        ConfigError: a checkpoint lies outside ``bench`` (its path would name the machine).
    """
    kept, root = _copy(results), Path(bench).resolve()
    for result in _results_of_runs(kept):
        if result.get("checkpoint"):
            path = Path(result["checkpoint"]).resolve()
            if not path.is_relative_to(root):
                raise ConfigError(f"results: the checkpoint {path} is not inside the bench folder {bench}; "
                                  "keep the results of the folder that holds the runs, or leave linked runs out "
                                  "(own_runs; keep_bench.py save --own-runs)")
            result["checkpoint"] = path.relative_to(root).as_posix()
    return kept


def own_runs(results: dict[str, Any], bench: str | Path) -> dict[str, Any]:
    """``results`` less the runs linked into ``bench`` from another bench folder.

    ``benchmarks/merge_bench.py --link-runs`` starts a bench from another's runs (the balance benches
    start from the zoo's unimodal baselines): their checkpoints lie in that other folder, and they
    are kept with it. A run with no checkpoint stays.

    Args:
        results: a bench's ``results.json`` content (``{"runs": {method: {seed: result}}, ...}``).
        bench: the bench folder the results were made in.
    """
    root = Path(bench).resolve()
    kept = _copy(results)
    for method in list(kept["runs"]):
        by_seed = {seed: result for seed, result in kept["runs"][method].items()
                   if not result.get("checkpoint") or Path(result["checkpoint"]).resolve().is_relative_to(root)}
        if by_seed:
            kept["runs"][method] = by_seed
        else:
            del kept["runs"][method]
    return kept


def without_balance(results: dict[str, Any], balance: str) -> tuple[dict[str, Any], list[str]]:
    """``(results less every run trained with balancing method balance, the methods dropped)``.

    A bench's balanced methods are named ``FUSION+METHOD`` (``tensor+gblend``); once a method's
    code changes, its runs are dropped so that the next ``polymodal bench`` trains them again.
    """
    kept = _copy(results)
    dropped = [name for name in kept["runs"] if name.endswith(f"+{balance}")]
    for name in dropped:
        del kept["runs"][name]
        kept.get("methods", {}).pop(name, None)
    return kept, dropped


def local_results(kept: dict[str, Any], bench: str | Path) -> dict[str, Any]:
    """The inverse of :func:`portable_results`: checkpoint paths under the ``bench`` folder."""
    results = _copy(kept)
    for result in _results_of_runs(results):
        if result.get("checkpoint"):
            result["checkpoint"] = (Path(bench) / result["checkpoint"]).as_posix()
    return results


def add_missing_runs(existing: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """``existing`` plus each run of ``kept`` it lacks; a run both hold stays ``existing``'s."""
    results = _copy(existing)
    for method, by_seed in kept["runs"].items():
        for seed, result in by_seed.items():
            results["runs"].setdefault(method, {}).setdefault(seed, result)
    return results


def environment_key(environment: dict[str, Any]) -> str:
    """An ``environment`` record (:func:`polymodal.environment.environment`) without the platform,
    as JSON text: runs of one installation repeat bit for bit, another's need not."""
    return json.dumps({k: v for k, v in environment.items() if k != "platform"}, sort_keys=True)


def environments(results: dict[str, Any]) -> set[str]:
    """The distinct :func:`environment_key` s of a bench's runs."""
    return {environment_key(r["environment"]) for r in _results_of_runs(results) if "environment" in r}
