"""Merge benches of one identity, run as separate processes, into one bench's results."""

from __future__ import annotations

import json
from typing import Any, Sequence

from polymodal.bench.keep import add_missing_runs
from polymodal.bench.runner import join_settings, trained_fusions
from polymodal.bench.summary import summarize
from polymodal.errors import ConfigError
from polymodal.models.names import MODEL_NAMES


def merge_results(sources: Sequence[dict[str, Any]], command: str) -> dict[str, Any]:
    """One bench's ``results.json`` content from several of the same identity.

    Each source is the content of a ``polymodal bench`` ``results.json`` made with the same data,
    training and model settings (:func:`~polymodal.bench.runner.join_settings`); their seeds and
    methods may differ (a few fusions or one seed each). A run found in two sources is kept once,
    from the first.

    Args:
        sources: at least one results dict (``settings``, ``runs``, optionally ``skipped``).
        command: the single ``polymodal bench`` command that would have made the same runs.

    Returns:
        ``{"command", "settings", "seeds", "runs", "methods", "skipped"}`` as
        :func:`~polymodal.bench.runner.run_bench` returns them: the unimodal baselines first, then
        the fusions in the catalog's order (:data:`~polymodal.models.names.MODEL_NAMES`), each method
        summarised over all its seeds.

    Raises:
        ConfigError: no source, or sources of different identities (naming both commands).
    """
    if not sources:
        raise ConfigError("sources: nothing to merge; give at least one bench's results")
    first = sources[0]
    runs: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    settings = json.loads(json.dumps(first["settings"]))
    for source in sources:
        joined = join_settings(settings, trained_fusions(runs), source["settings"], trained_fusions(source["runs"]))
        if joined is None:
            raise ConfigError(f"sources: benches of different settings cannot be merged: {source.get('command')!r} "
                              f"and {first.get('command')!r}")
        settings = joined
        runs = add_missing_runs({"runs": runs}, source)["runs"]
        skipped.update(source.get("skipped", {}))
    seeds = sorted({int(s) for by_seed in runs.values() for s in by_seed})
    settings["train_config"]["seed"] = seeds[0] if seeds else settings["train_config"].get("seed")
    # the unimodal baselines first, then the fusions in the catalog's order, as a bench of all of them
    # lists them; a fusion's balanced runs (``tensor+gblend``) follow it
    def catalog_position(method: str) -> int:
        fusion = method.split("+")[0]
        return MODEL_NAMES.index(fusion) if fusion in MODEL_NAMES else len(MODEL_NAMES)

    order = sorted(runs, key=lambda m: (not m.startswith("unimodal:"), catalog_position(m), m))
    return {"command": command, "settings": settings, "seeds": seeds, "runs": {m: runs[m] for m in order},
            "methods": {m: summarize(m, runs[m]) for m in order}, "skipped": skipped}
