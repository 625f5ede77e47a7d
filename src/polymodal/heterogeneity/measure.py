"""Modality and interaction heterogeneity matrices (HighMMT, Liang et al., TMLR 2022), resumable.

For views (single modalities, or pairs of modalities) v_1..v_K of one data set,

    R[i, j] = I_V(v_j -> Y | scratch on v_j) - I_V(v_j -> Y | transferred from v_i)      (bits)

is the V-information lost by starting v_j's model from v_i's trunk rather than from scratch,
under the budget of :class:`~polymodal.heterogeneity.transfer.HeterogeneitySettings`. Small
means v_i's trunk already computes what v_j needs: the two are homogeneous. ``R`` is kept as
``matrix_raw`` (its diagonal, i -> i, is the procedure's own noise floor); the symmetric ``D`` of
:func:`~polymodal.heterogeneity.grouping.symmetrize` is ``matrix``, and is clustered into groups.

The cost is K + K^2 short trainings: K = M for modalities, K = M(M-1)/2 for pairs, so the
interaction matrix is O(M^4) runs (M = 4: 42; M = 6: 240); ``max_runs`` caps it.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.heterogeneity.grouping import check_groups, group_modalities, symmetrize
from polymodal.heterogeneity.transfer import HeterogeneitySettings, TransferRuns, View, check_views, view_key
from polymodal.io import atomic_write, atomic_write_json
from polymodal.progress import progress_bar

#: Interaction heterogeneity refuses more transfer runs than this unless ``max_runs`` is raised.
MAX_INTERACTION_RUNS = 240


@dataclass
class HeterogeneityResult:
    """A measured heterogeneity matrix and its grouping.

    Attributes:
        names: the K views in matrix order: modality names, or ``"a+b"`` for pairs.
        matrix_raw: ``(K, K)`` ``R[i, j]``, bits lost transferring i -> j (see the module doc).
        matrix: ``(K, K)`` symmetric, zero diagonal.
        groups: the views clustered into groups, each a list of names.
        linkage: SciPy's ``(K - 1, 4)`` linkage matrix of the clustering.
        runs: the scores of every run: ``"scratch:v"`` and ``"v->w"`` -> bits, accuracies and the
            run's ``seconds`` (a scratch run's include training the source model).
        settings: the settings and data set the runs used.
    """

    names: list[str]
    matrix_raw: np.ndarray
    matrix: np.ndarray
    groups: list[list[str]]
    linkage: np.ndarray
    runs: dict[str, dict[str, float]]
    settings: dict

    @property
    def seconds(self) -> float:
        """Wall time of all the runs, as measured when each ran (a resumed run keeps its first time)."""
        return sum(r["seconds"] for r in self.runs.values())

    def to_json(self, names_key: str = "modalities") -> dict:
        """``{names_key, "matrix", "matrix_raw", "groups", "settings"}``, JSON-ready."""
        return {names_key: self.names, "matrix": self.matrix.tolist(), "matrix_raw": self.matrix_raw.tolist(),
                "groups": self.groups, "settings": self.settings}


class _RunStore:
    """``transfer.json`` (every finished run, rewritten atomically) and ``sources/*.pt`` (state dicts) in a folder."""

    def __init__(self, folder: Path | None, identity: dict, resume: bool) -> None:
        self.folder, self.identity, self.runs = folder, identity, {}
        if folder is None:
            return
        path = folder / "transfer.json"
        if resume and path.exists():
            saved = json.loads(path.read_text())
            if saved.get("identity") != identity:
                raise ConfigError(f"{path} holds runs with other settings, data or modalities; "
                                  "pass --no-resume to start over, or another --out")
            self.runs = saved["runs"]
        elif path.exists():
            path.unlink()
            for old in (folder / "sources").glob("*.pt"):
                old.unlink()

    def save_source(self, key: str, state: dict) -> None:
        if self.folder is not None:
            atomic_write(self.folder / "sources" / f"{key}.pt", lambda tmp: torch.save(state, tmp))

    def load_source(self, key: str) -> dict | None:
        path = None if self.folder is None else self.folder / "sources" / f"{key}.pt"
        return torch.load(path, weights_only=True) if path is not None and path.exists() else None

    def put(self, key: str, scores: dict[str, float]) -> None:
        self.runs[key] = scores
        if self.folder is not None:
            atomic_write_json(self.folder / "transfer.json", {"identity": self.identity, "runs": self.runs})


def measure_views(dataset: MultimodalDataset, views: Sequence[View], settings: HeterogeneitySettings, *,
                  n_groups: int | None = None, run_dir: str | Path | None = None, resume: bool = True,
                  progress: bool = False, description: str = "heterogeneity") -> HeterogeneityResult:
    """Scratch runs on every view, transfer runs between every ordered pair, the matrices and groups.

    Args:
        dataset: the data set (train split fits, validation split scores).
        views: K >= 2 views, each a tuple of modality names.
        settings: architecture and budget of every run.
        n_groups: number of groups, or ``None`` for the largest-gap criterion.
        run_dir: folder for ``transfer.json`` and the source models; a rerun resumes from it.
        resume: reuse finished runs in ``run_dir`` (``False``: start over).
        progress: show a progress bar over the K + K^2 runs.
        description: the progress bar's label.
    """
    views = [tuple(v) for v in views]
    keys = [view_key(v) for v in views]
    check_groups(n_groups, len(views))
    identity = {"settings": settings.to_dict(), "dataset": dataset.name, "data_options": _jsonable(dataset.options),
                "views": keys}
    store = _RunStore(Path(run_dir) if run_dir is not None else None, identity, resume)
    runs = TransferRuns(dataset, settings, on_source=store.save_source, load_source=store.load_source)
    todo = [(f"scratch:{k}", v, None) for k, v in zip(keys, views)]
    todo += [(f"{view_key(s)}->{view_key(t)}", s, t) for s in views for t in views]
    with progress_bar(f"{description}: transfer runs", len(todo), progress) as advance:
        advance(sum(key in store.runs for key, _, _ in todo))
        for key, source, target in todo:
            if key not in store.runs:
                start = time.perf_counter()
                scores = runs.scratch(source) if target is None else runs.transfer(source, target)
                store.put(key, {**scores, "seconds": time.perf_counter() - start})
                advance()
    column = "finetuned_bits" if settings.score == "finetuned" else "zero_shot_bits"
    raw = np.array([[store.runs[f"scratch:{t}"]["bits"] - store.runs[f"{s}->{t}"][column] for t in keys] for s in keys])
    matrix = symmetrize(raw)
    groups, z = group_modalities(matrix, keys, n_groups)
    return HeterogeneityResult(keys, raw, matrix, groups, z, dict(store.runs), identity)


def check_interactions(dataset: MultimodalDataset, modalities: Sequence[str] | None, max_runs: int) -> list[View]:
    """The modality pairs of an interaction matrix, refused before any run if under 4 modalities or over ``max_runs``."""
    names = check_views(dataset, modalities)
    if len(names) < 4:
        raise ConfigError(f"interaction heterogeneity compares pairs of modality pairs and needs at least 4 "
                          f"modalities, got {names}")
    pairs = list(itertools.combinations(names, 2))
    cost = len(pairs) + len(pairs) ** 2
    if cost > max_runs:
        raise ConfigError(f"interaction heterogeneity over {len(names)} modalities is {cost} transfer runs "
                          f"(O(M^4)), above max_runs={max_runs}; pass fewer modalities or raise max_runs")
    return pairs


def modality_heterogeneity(dataset: MultimodalDataset, modalities: Sequence[str] | None = None,
                           settings: HeterogeneitySettings | None = None, **kwargs) -> HeterogeneityResult:
    """The M x M modality heterogeneity matrix: :func:`measure_views` over single modalities.

    Raises:
        ConfigError: fewer than two modalities, or one the data set lacks.
    """
    names = check_views(dataset, modalities)
    return measure_views(dataset, [(m,) for m in names], settings or HeterogeneitySettings(), **kwargs)


def interaction_heterogeneity(dataset: MultimodalDataset, modalities: Sequence[str] | None = None,
                              settings: HeterogeneitySettings | None = None, max_runs: int = MAX_INTERACTION_RUNS,
                              **kwargs) -> HeterogeneityResult:
    """The P x P interaction heterogeneity matrix over the P = M(M-1)/2 modality pairs (M >= 4).

    Transfer from fusing {i, j} to fusing {k, l}: P + P^2 runs, O(M^4).

    Raises:
        ConfigError: fewer than four modalities, or more runs than ``max_runs``.
    """
    pairs = check_interactions(dataset, modalities, max_runs)
    return measure_views(dataset, pairs, settings or HeterogeneitySettings(), **kwargs)


def _jsonable(options: dict) -> dict:
    return json.loads(json.dumps(options, default=str))
