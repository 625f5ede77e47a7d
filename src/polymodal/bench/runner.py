"""``polymodal bench``: train the unimodal baselines and each fusion, compare, resume when interrupted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import lightning as L

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.bench.summary import summarize
from polymodal.io import atomic_write_json
from polymodal.layout import BenchLayout, method_slug
from polymodal.catalog import UNIMODAL, build_model, model_names
from polymodal.models.build import ModelConfig
from polymodal.training.pipeline import TrainConfig, fit



@dataclass(frozen=True)
class Method:
    """One entry of a benchmark: a fusion (or ``unimodal``) over some modalities."""

    name: str
    fusion: str
    modalities: tuple[str, ...]

    @property
    def slug(self) -> str:
        """File-system name of the method's run folder."""
        return method_slug(self.name)


def parse_fusions(spec: str | Sequence[str] | None) -> list[str]:
    """``"all"``, ``None`` (the catalog's entries marked ``in_all``), a comma-separated string or a
    list of catalog names (any but ``unimodal``, which the bench adds per modality) -> validated names."""
    names = model_names(in_all=True)
    if spec is None or spec == "all":
        return names
    chosen = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    by_name = model_names(in_all=False, families=("fusion", "routed", "fission"))
    unknown = [s for s in chosen if s not in names and s not in by_name]
    if unknown or not chosen:
        raise ConfigError(f"--fusions: {', '.join(unknown) or 'nothing'} unknown; choose from {', '.join(names)}, "
                          f"{', '.join(by_name)}, or 'all' (the fusions)")
    return list(dict.fromkeys(chosen))


def bench_methods(dataset: MultimodalDataset, fusions: Sequence[str]) -> list[Method]:
    """One unimodal baseline per modality, then each fusion over all modalities."""
    mods = tuple(dataset.modalities)
    return [Method(f"{UNIMODAL}:{m}", UNIMODAL, (m,)) for m in mods] + [Method(f, f, mods) for f in fusions]


def parse_seeds(spec: str | Sequence[int]) -> list[int]:
    """``"0,1,2"`` or ``[0, 1, 2]`` -> distinct seeds in order, each in ``[0, 2**32)``."""
    try:
        seeds = [int(s) for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    except ValueError:
        raise ConfigError(f"--seeds: {spec!r} is not a comma-separated list of integers, e.g. 0,1,2") from None
    if not seeds or any(not 0 <= s < 2**32 for s in seeds):
        raise ConfigError(f"--seeds: {spec!r} must list integers in [0, 2**32), e.g. 0,1,2")
    return list(dict.fromkeys(seeds))


#: dataset options that say where the data lives, not what it is (left out of a bench's identity)
LOCATION_OPTIONS = ("data_dir", "path", "cache_dir")


def bench_identity(settings: dict[str, Any]) -> dict[str, Any]:
    """What makes two benches the same bench: ``settings`` without the training seed and the data's
    location, so that seeds can be added in another process and a data folder can move without
    blocking a resume. The split seed (a dataset option) stays: it changes the data."""
    identity = json.loads(json.dumps(settings))
    identity.get("train_config", {}).pop("seed", None)
    for key in LOCATION_OPTIONS:
        identity.get("dataset_options", {}).pop(key, None)
    return identity


def _settings(dataset: MultimodalDataset, train_config: TrainConfig, model_options: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": dataset.name, "dataset_options": dataset.options, "train_config": asdict(train_config),
            "model_options": model_options}


def run_bench(
    dataset: MultimodalDataset,
    fusions: Sequence[str],
    train_config: TrainConfig,
    out_dir: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    model_options: dict[str, Any] | None = None,
    callbacks: Sequence[L.Callback] = (),
    on_method: Callable[[Method, int, int], Sequence[L.Callback]] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    command: str = "",
) -> dict[str, Any]:
    """Train every method of :func:`bench_methods` once per seed; collect the results in ``out_dir/results.json``.

    Seeds run one after the other (every method with the first seed, then with the next), so
    an early table is complete. Each seed sets the weights' initialisation and the shuffling;
    the data set (and its split) is the one given. ``results.json`` is rewritten atomically
    after each run. Running again with the same ``out_dir`` skips the runs already in it,
    resumes the unfinished one from its last checkpoint
    (``out_dir/runs/<method>/seed-<seed>/checkpoints/last.ckpt``), and runs any seed added.

    Args:
        dataset: the data set.
        fusions: fusion names (see :func:`parse_fusions`).
        train_config: training settings, the same for every method.
        out_dir: output folder.
        seeds: training seeds (default: ``[train_config.seed]``).
        model_options: extra :class:`ModelConfig` fields (``embed_dim``, ``hidden_dim``, ``dropout``), and
            ``fusion_options``: ``{model name: its options}`` (e.g. ``{"low-rank": {"rank": 8}}``).
        callbacks: Lightning callbacks added to every run.
        on_method: called as ``on_method(method, position, total)`` before each run (``position``
            counts runs over all seeds); returns extra callbacks for that run.
        on_result: called with the results dict after each run.
        command: the command line that ran the bench, kept in ``results.json`` for its reports.

    Returns:
        ``{"settings", "seeds", "runs": {method: {seed: fit result}}, "methods": {method: summary},
        "skipped": {method: reason}}``, where a summary (see
        :func:`~polymodal.bench.summary.summarize`) covers the seeds done, and ``skipped`` lists
        the methods whose model cannot be built at these sizes (e.g. tensor fusion of six
        64-dimensional modalities, ``65**6 * 64`` weights) with the reason.

    Raises:
        ConfigError: ``out_dir`` holds results made with other settings.
    """
    out_dir = Path(out_dir)
    seeds = parse_seeds(seeds if seeds is not None else [train_config.seed])
    model_options = dict(model_options or {})
    settings = _settings(dataset, replace(train_config, seed=seeds[0]), model_options)
    bench_layout = BenchLayout(out_dir)
    results_path = bench_layout.results
    runs: dict[str, dict[str, Any]] = {}
    if results_path.is_file():
        previous = json.loads(results_path.read_text())
        if "runs" not in previous or bench_identity(previous.get("settings", {})) != bench_identity(settings):
            raise ConfigError(
                f"--out {out_dir} holds a benchmark made with other settings; use another --out or delete that folder"
            )
        runs = previous["runs"]
    methods = bench_methods(dataset, fusions)
    shared_options = {k: v for k, v in model_options.items() if k != "fusion_options"}
    per_model: dict[str, dict[str, Any]] = model_options.get("fusion_options", {})
    total = len(methods) * len(seeds)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}

    def collect() -> dict[str, Any]:
        done = {m.name: runs[m.name] for m in methods if runs.get(m.name)}
        results.update(command=command, settings=settings, seeds=sorted({int(s) for r in runs.values() for s in r} | set(seeds)),
                       runs=done, methods={name: summarize(name, r) for name, r in done.items()}, skipped=skipped)
        return results

    for s_index, seed in enumerate(seeds):
        for m_index, method in enumerate(methods):
            extra = list(on_method(method, s_index * len(methods) + m_index, total)) if on_method else []
            if str(seed) in runs.get(method.name, {}):
                continue
            data = dataset.select(list(method.modalities))
            config = ModelConfig.for_dataset(data, method.fusion, **shared_options,
                                             fusion_options=dict(per_model.get(method.fusion, {})))
            try:
                build_model(config)  # a fusion that cannot exist at these sizes is reported, not fatal
            except ConfigError as exc:
                skipped[method.name] = str(exc)
                continue
            result = fit(data, config, replace(train_config, seed=seed), bench_layout.run(method.name, seed).root,
                         callbacks=[*callbacks, *extra], progress_bar=False)
            if not result:  # another process of a data-parallel run: process 0 evaluates and records
                continue
            result["method"] = method.name
            runs.setdefault(method.name, {})[str(seed)] = result
            atomic_write_json(results_path, collect())
            if on_result:
                on_result(results)
    return collect()
