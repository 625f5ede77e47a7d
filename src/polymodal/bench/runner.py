"""``polymodal bench``: train the unimodal baselines and each fusion, compare, resume when interrupted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import lightning as L

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.fusion.registry import fusion_names
from polymodal.io import atomic_write_json
from polymodal.models.build import UNIMODAL, ModelConfig
from polymodal.training.fit import TrainConfig, fit

RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class Method:
    """One entry of a benchmark: a fusion (or ``unimodal``) over some modalities."""

    name: str
    fusion: str
    modalities: tuple[str, ...]

    @property
    def slug(self) -> str:
        """File-system name of the method's run folder."""
        return self.name.replace(":", "-")


def parse_fusions(spec: str | Sequence[str] | None) -> list[str]:
    """``"all"``, ``None`` (all), a comma-separated string or a list of names -> validated names."""
    names = fusion_names()
    if spec is None or spec == "all":
        return names
    chosen = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    unknown = [s for s in chosen if s not in names]
    if unknown or not chosen:
        raise ConfigError(f"--fusions: {', '.join(unknown) or 'nothing'} unknown; choose from {', '.join(names)} or 'all'")
    return list(dict.fromkeys(chosen))


def bench_methods(dataset: MultimodalDataset, fusions: Sequence[str]) -> list[Method]:
    """One unimodal baseline per modality, then each fusion over all modalities."""
    mods = tuple(dataset.modalities)
    return [Method(f"{UNIMODAL}:{m}", UNIMODAL, (m,)) for m in mods] + [Method(f, f, mods) for f in fusions]


def _settings(dataset: MultimodalDataset, train_config: TrainConfig, model_options: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": dataset.name, "dataset_options": dataset.options, "train_config": asdict(train_config),
            "model_options": model_options}


def run_bench(
    dataset: MultimodalDataset,
    fusions: Sequence[str],
    train_config: TrainConfig,
    out_dir: str | Path,
    *,
    model_options: dict[str, Any] | None = None,
    callbacks: Sequence[L.Callback] = (),
    on_method: Callable[[Method, int, int], Sequence[L.Callback]] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train every method of :func:`bench_methods` and collect the results in ``out_dir/results.json``.

    ``results.json`` is rewritten atomically after each method. Running again with the same
    ``out_dir`` skips the methods already in it and resumes the unfinished one from its last
    checkpoint (``out_dir/runs/<method>/checkpoints/last.ckpt``).

    Args:
        dataset: the data set.
        fusions: fusion names (see :func:`parse_fusions`).
        train_config: training settings, the same for every method.
        out_dir: output folder.
        model_options: extra :class:`ModelConfig` fields (``embed_dim``, ``hidden_dim``, ``dropout``).
        callbacks: Lightning callbacks added to every run.
        on_method: called as ``on_method(method, position, total)`` before each method is
            trained; returns extra callbacks for that run (e.g. a progress display).
        on_result: called with the results dict after each method.

    Returns:
        ``{"settings": ..., "methods": {name: fit result}}``.

    Raises:
        ConfigError: ``out_dir`` holds results made with other settings.
    """
    out_dir = Path(out_dir)
    model_options = dict(model_options or {})
    settings = _settings(dataset, train_config, model_options)
    results_path = out_dir / RESULTS_FILE
    results: dict[str, Any] = {"settings": settings, "methods": {}}
    if results_path.is_file():
        previous = json.loads(results_path.read_text())
        if previous.get("settings") != json.loads(json.dumps(settings)):
            raise ConfigError(
                f"--out {out_dir} holds a benchmark made with other settings; use another --out or delete that folder"
            )
        results = previous
    methods = bench_methods(dataset, fusions)
    for position, method in enumerate(methods):
        extra = list(on_method(method, position, len(methods))) if on_method else []
        if method.name in results["methods"]:
            continue
        data = dataset.select(list(method.modalities))
        config = ModelConfig.for_dataset(data, method.fusion, **model_options)
        result = fit(data, config, train_config, out_dir / "runs" / method.slug,
                     callbacks=[*callbacks, *extra], progress_bar=False)
        result["method"] = method.name
        done = {**results["methods"], method.name: result}
        results["methods"] = {m.name: done[m.name] for m in methods if m.name in done}  # bench order
        atomic_write_json(results_path, results)
        if on_result:
            on_result(results)
    return results
