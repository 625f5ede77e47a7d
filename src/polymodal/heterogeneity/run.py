"""The run folder of ``polymodal heterogeneity``: matrices as JSON, heatmaps, a Markdown report.

Layout of ``out``::

    heterogeneity.json              modalities, matrix, matrix_raw, groups, settings
    heterogeneity.png               heatmap and dendrogram
    report.md                       the matrices, groups and every run's scores
    transfer/                       transfer.json (finished runs) and sources/*.pt: a rerun resumes
    interaction-heterogeneity.json  pairs, matrix, matrix_raw, groups, settings   (with interactions)
    interaction-heterogeneity.png
    interactions/                   as transfer/, for the pairs
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError, DataFileError
from polymodal.heterogeneity.measure import (
    MAX_INTERACTION_RUNS,
    HeterogeneityResult,
    check_interactions,
    interaction_heterogeneity,
    modality_heterogeneity,
)
from polymodal.heterogeneity.grouping import check_groups, format_groups
from polymodal.heterogeneity.plot import plot_heterogeneity
from polymodal.heterogeneity.transfer import HeterogeneitySettings, check_views
from polymodal.io import atomic_write_json, atomic_write_text

JSON_NAME = "heterogeneity.json"
INTERACTION_JSON_NAME = "interaction-heterogeneity.json"


def run_heterogeneity(dataset: MultimodalDataset, out: str | Path, modalities: Sequence[str] | None = None,
                      settings: HeterogeneitySettings | None = None, *, n_groups: int | None = None,
                      interactions: bool = False, resume: bool = True, progress: bool = False,
                      command: str = "") -> dict[str, HeterogeneityResult]:
    """Measure, group, and write the files of the module doc.

    Returns:
        ``{"modalities": result}``, plus ``"interactions"`` when asked for.
    """
    out = Path(out)
    settings = settings or HeterogeneitySettings()
    check_groups(n_groups, len(check_views(dataset, modalities)))
    if interactions:
        check_interactions(dataset, modalities, MAX_INTERACTION_RUNS)  # before the modality runs, not after
    results = {"modalities": modality_heterogeneity(dataset, modalities, settings, n_groups=n_groups,
                                                    run_dir=out / "transfer", resume=resume, progress=progress)}
    atomic_write_json(out / JSON_NAME, results["modalities"].to_json("modalities"))
    plot_heterogeneity(results["modalities"], out / "heterogeneity.png", f"modality heterogeneity: {dataset.name}")
    if interactions:
        results["interactions"] = interaction_heterogeneity(
            dataset, modalities, settings, run_dir=out / "interactions", resume=resume, progress=progress,
            description="interaction heterogeneity")
        atomic_write_json(out / INTERACTION_JSON_NAME, results["interactions"].to_json("pairs"))
        plot_heterogeneity(results["interactions"], out / "interaction-heterogeneity.png",
                           f"interaction heterogeneity: {dataset.name}")
    atomic_write_text(out / "report.md", markdown_report(results, dataset.name, command))
    return results


def matrix_table(names: Sequence[str], matrix: np.ndarray) -> str:
    """A Markdown table of a square matrix, rows and columns named."""
    lines = ["| from \\ to | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {n} | " + " | ".join(f"{v:.3f}" for v in row) + " |" for n, row in zip(names, matrix)]
    return "\n".join(lines)


def markdown_report(results: dict[str, HeterogeneityResult], dataset: str, command: str = "") -> str:
    """The report: per matrix, the groups, the symmetric and raw matrices, and each run's scores."""
    parts = [f"# Heterogeneity: {dataset}", ""]
    if command:
        parts += [f"Command: `{command}`", ""]
    settings = results["modalities"].settings["settings"]
    parts += ["Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), "",
              "`matrix_raw[i][j]` is the V-information (bits, validation split) lost by training j's model from "
              "i's trunk instead of from scratch; `matrix` is its symmetrised form (negatives clipped to 0, "
              "diagonal 0). Small means homogeneous.", ""]
    for key, result in results.items():
        figure = "heterogeneity.png" if key == "modalities" else "interaction-heterogeneity.png"
        parts += [f"## {'Modality' if key == 'modalities' else 'Interaction'} heterogeneity", "", f"![{key}]({figure})", "",
                  "Groups: " + format_groups(result.groups), "",
                  f"{len(result.runs)} runs, {result.seconds:.1f} s of training and scoring.", "",
                  "Symmetric (`matrix`):", "", matrix_table(result.names, result.matrix), "",
                  "Raw (`matrix_raw`, row = source, column = target):", "", matrix_table(result.names, result.matrix_raw), "",
                  "| run | bits (zero-shot) | accuracy (zero-shot) | bits (fine-tuned) | accuracy (fine-tuned) |",
                  "|---|---|---|---|---|"]
        for run, s in result.runs.items():
            if run.startswith("scratch:"):
                parts.append(f"| {run} | {s['bits']:.3f} | {s['accuracy']:.3f} | | |")
            else:
                ft = (f"{s['finetuned_bits']:.3f} | {s['finetuned_accuracy']:.3f}" if "finetuned_bits" in s else " | ")
                parts.append(f"| {run} | {s['zero_shot_bits']:.3f} | {s['zero_shot_accuracy']:.3f} | {ft} |")
        parts.append("")
    return "\n".join(parts)


def load_groups(path: str | Path, modalities: Sequence[str], key: str = "modalities") -> list[list[str]]:
    """The ``groups`` of a ``heterogeneity.json`` (or, with ``key="pairs"``, an interaction file), checked.

    Raises:
        DataFileError: the file is missing or not such a file.
        ConfigError: it was measured on other modalities than ``modalities``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"heterogeneity file {path} does not exist; write it with `polymodal heterogeneity --out DIR`")
    try:
        data = json.loads(path.read_text())
        names, groups = data[key], data["groups"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DataFileError(f"{path} is not a heterogeneity file written by polymodal (no {exc})") from None
    if sorted(names) != sorted(modalities):
        raise ConfigError(f"{path} was measured on {key} {names}, but the model reads {list(modalities)}; "
                          "measure these with `polymodal heterogeneity`")
    return [list(g) for g in groups]
