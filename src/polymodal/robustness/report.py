"""The robustness report: Markdown tables and the accuracy-level curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from polymodal.io import atomic_write  # noqa: E402


def _keys(result: dict[str, Any], field: str) -> list[str]:
    keys: list[str] = []
    for entry in result["models"].values():
        keys += [k for k in entry[field] if k not in keys]
    return keys


def _cell(value: float | None, fmt: str = "{:.4f}") -> str:
    return "–" if value is None else fmt.format(value)


def markdown_tables(result: dict[str, Any]) -> str:
    """Three tables: clean accuracy with both robustness metrics, the curves under noise of all modalities, and missing modalities."""
    models = result["models"]
    noise_keys = _keys(result, "noise")
    lines = ["Relative robustness (RR, area under the accuracy-level curve) and effective robustness "
             "(ER, area of the excess over late fusion shifted to the same clean accuracy), per perturbed modality:\n",
             "| method | clean | " + " | ".join(f"RR {k}" for k in noise_keys) + " | "
             + " | ".join(f"ER {k}" for k in noise_keys) + " |",
             "|---|---|" + "---|" * (2 * len(noise_keys))]
    for name, e in models.items():
        lines.append(f"| {name} | {e['clean']:.4f} | " + " | ".join(_cell(e["relative_robustness"].get(k)) for k in noise_keys)
                     + " | " + " | ".join(_cell(e["effective_robustness"].get(k), "{:+.4f}") for k in noise_keys) + " |")
    for key in noise_keys:
        levels = next(list(e["noise"][key]) for e in models.values() if key in e["noise"])
        lines += ["", f"Accuracy with `{key}` perturbed, by level:\n", "| method | " + " | ".join(levels) + " |",
                  "|---|" + "---|" * len(levels)]
        for name, e in models.items():
            if key in e["noise"]:
                lines.append(f"| {name} | " + " | ".join(f"{e['noise'][key][lv]:.3f}" for lv in levels) + " |")
    subsets = _keys(result, "missing")
    if subsets:
        strategies: list[str] = []
        for e in models.values():
            for accs in e["missing"].values():
                strategies += [s for s in accs if s not in strategies]
        lines += ["", "Accuracy with modalities missing from every test example, by strategy "
                  "(– : the model does not support it):\n",
                  "| method | missing | " + " | ".join(strategies) + " |", "|---|---|" + "---|" * len(strategies)]
        for name, e in models.items():
            for subset, accs in e["missing"].items():
                lines.append(f"| {name} | {subset} | " + " | ".join(_cell(accs.get(s), "{:.3f}") for s in strategies) + " |")
    return "\n".join(lines) + "\n"


def markdown_report(result: dict[str, Any], title: str, settings: Any, command: str = "", seeds: int = 1) -> str:
    """The whole ``robustness.md``."""
    perturbed = ", ".join(f"{m}={p}" for m, p in settings.perturbations.items()) or "each kind's default"
    head = [f"# {title}", "",
            f"Test split; accuracies are means over {seeds} seed(s); levels {', '.join(f'{v:g}' for v in settings.levels)}; "
            f"perturbations: {perturbed} (image: gaussian, spectrogram: snr, vector: gaussian unless named); "
            f"noise seed {settings.seed}.", ""]
    if command:
        head += [f"Command: `{command}`", ""]
    return "\n".join(head) + "\n" + markdown_tables(result)


def plot_robustness(result: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """One panel per perturbed modality (and ``all``): accuracy against level, one line per model; unimodal models dashed."""
    keys = _keys(result, "noise")
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys) + 2.2, 3.6), squeeze=False, sharey=True)
    for ax, key in zip(axes[0], keys):
        for name, e in result["models"].items():
            if key not in e["noise"]:
                continue
            levels = [float(v) for v in e["noise"][key]]
            style = dict(ls="--", color="0.5", lw=1) if name.startswith("unimodal") else dict(lw=1.2)
            ax.plot(levels, list(e["noise"][key].values()), marker=".", label=name, **style)
        ax.set_title(f"{key} perturbed")
        ax.set_xlabel("noise level p")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy")
    handles, labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path
