"""Benchmark reports: a Markdown table and a self-contained HTML page with figures."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from polymodal.bench.balance import accuracy_table, balance_gains, gains_table, lowest_table  # noqa: E402
from polymodal.io import atomic_write_text  # noqa: E402

#: (header, result key, short header for narrow terminals)
COLUMNS = [
    ("method", "method", "method"),
    ("test accuracy", "test_accuracy", "acc"),
    ("macro-F1", "test_macro_f1", "F1"),
    ("parameters", "parameters", "params"),
    ("train time (s)", "train_time_s", "train s"),
    ("peak memory (MiB)", "peak_memory_mib", "MiB"),
    ("inference (µs/sample)", "inference_time_per_sample_s", "µs/ex"),
    ("epochs", "epochs", "ep"),
]


def _cell(key: str, row: dict[str, Any]) -> str:
    value = row.get(key)
    if value is None:
        return "–"
    if key in ("test_accuracy", "test_macro_f1"):
        many = len(row.get("seeds", [0])) > 1
        return f"{value:.4f} ± {row.get(key + '_std', 0.0):.4f}" if many else f"{value:.4f}"
    if key == "epochs":
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    if key == "inference_time_per_sample_s":
        return f"{value * 1e6:.1f}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row of formatted cells per method, in the order of :data:`COLUMNS`."""
    return [[_cell(k, r) for _, k, _ in COLUMNS] for r in results["methods"].values()]


#: the columns of the terminal summary (the others are in results.md and report.html)
TERMINAL_COLUMNS = [("method", "method"), ("acc", "test_accuracy"), ("params", "parameters"),
                    ("train s", "train_time_s"), ("ep", "epochs")]


def terminal_rows(results: dict[str, Any]) -> list[list[str]]:
    """The terminal summary, narrow enough for 80 columns with the longest method name:
    accuracy to 3 decimals (``0.843±0.009`` over several seeds), parameters, train time, epochs."""
    rows = []
    for r in results["methods"].values():
        acc = r.get("test_accuracy")
        if acc is None:
            cell = "–"
        elif len(r.get("seeds", [0])) > 1:
            cell = f"{acc:.3f}±{r.get('test_accuracy_std', 0.0):.3f}"
        else:
            cell = f"{acc:.3f}"
        rows.append([_cell("method", r), cell, _cell("parameters", r), _cell("train_time_s", r), _cell("epochs", r)])
    return rows


def routing_notes(results: dict[str, Any]) -> str:
    """Markdown notes: per dynamic-fusion method, the share of test examples per branch and the
    compute saved; per skipped method, why."""
    lines = []
    for name, row in results["methods"].items():
        if "routing" in row:
            shares = ", ".join(f"{b} {f:.0%}" for b, f in row["routing"]["fraction"].items())
            lines.append(f"- `{name}` routed the test examples to {shares}; encoder compute saved: "
                         f"{row['routing']['compute_saved']:.0%}.\n")
    for name, reason in results.get("skipped", {}).items():
        lines.append(f"- `{name}` was not run: {reason}.\n")
    return "".join(lines)


def imbalance_table(results: dict[str, Any]) -> str:
    """Markdown: per fusion, each modality's linear-probe test accuracy (its encoder, frozen after
    joint training) next to its unimodal baseline's, and its contribution to validation accuracy in
    the last epoch (Shapley value; :mod:`polymodal.training.imbalance`). "" without fusions."""
    rows = {n: r["imbalance"] for n, r in results["methods"].items() if "imbalance" in r}
    if not rows:
        return ""
    modalities = list(next(iter(rows.values()))["probe"])
    alone = {m: results["methods"].get(f"unimodal:{m}", {}).get("test_accuracy") for m in modalities}
    head = ("| method | " + " | ".join(f"{m}: probe (alone {alone[m]:.4f})" if alone[m] is not None else f"{m}: probe"
                                       for m in modalities)
            + " | " + " | ".join(f"{m}: contribution" for m in modalities) + " |\n|" + "---|" * (1 + 2 * len(modalities)) + "\n")
    body = "".join(f"| {n} | " + " | ".join(f"{r['probe'][m]:.4f}" for m in modalities) + " | "
                   + " | ".join(f"{r['contribution'][m]:+.4f}" for m in modalities) + " |\n" for n, r in rows.items())
    return ("Per-modality imbalance: a linear probe's test accuracy on each jointly trained encoder against the "
            "modality's unimodal model trained alone, and each modality's Shapley contribution to validation "
            "accuracy in the last epoch (about 0: the model ignores it).\n\n" + head + body)


def balance_section(results: dict[str, Any]) -> str:
    """For a bench with ``--balance``: test accuracy per fusion and balancing method, and each
    method's gain over joint training and its cost (:mod:`polymodal.bench.balance`); "" otherwise."""
    runs, seeds = results.get("runs", {}), results.get("seeds", [])
    accuracy = accuracy_table(runs, seeds)
    if not accuracy:
        return ""
    gains, lowest = gains_table(balance_gains(runs)), lowest_table(runs, seeds)
    return ("Balanced learning: test accuracy per fusion (rows) and balancing method (columns), mean ± s.d. over "
            f"the seeds.\n\n{accuracy}" + (f"\nThe lowest over the seeds:\n\n{lowest}" if lowest else "")
            + (f"\nEach method against joint training (`none`) of the same fusion and seed:\n\n{gains}" if gains else ""))


def markdown_table(results: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    head = "| " + " | ".join(h for h, _, _ in COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    return head + "".join("| " + " | ".join(row) + " |\n" for row in table_rows(results))


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figures(results: dict[str, Any]) -> dict[str, str]:
    """Base64 PNGs: accuracy per method, accuracy against parameters and against training time."""
    methods = list(results["methods"].values())
    names = [m["method"] for m in methods]
    acc = [m["test_accuracy"] for m in methods]
    err = [m.get("test_accuracy_std", 0.0) for m in methods]
    colors = ["tab:gray" if n.startswith("unimodal") else "tab:blue" for n in names]
    out = {}
    fig, ax = plt.subplots(figsize=(max(4, 0.7 * len(names) + 2), 3.2))
    ax.bar(names, acc, yerr=err, capsize=2, color=colors)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    spread = " (bars: ±1 s.d. over seeds)" if any(err) else ""
    ax.set_title(f"{results['settings']['dataset']}: test accuracy, grey: unimodal{spread}")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    out["accuracy"] = _png(fig)
    for key, label, log in (("parameters", "parameters", True), ("train_time_s", "training time (s)", False)):
        fig, ax = plt.subplots(figsize=(5, 3.5) if len(names) <= 10 else (9, 6))
        xs = [m[key] for m in methods]
        ax.scatter(xs, acc, c=colors, zorder=3)
        ax.errorbar(xs, acc, yerr=err, fmt="none", ecolor="0.6", zorder=2)
        for rank, i in enumerate(sorted(range(len(names)), key=lambda j: acc[j])):  # stagger crowded labels
            ax.annotate(names[i], (xs[i], acc[i]), textcoords="offset points", xytext=(4, 3 - 9 * (rank % 3)),
                        fontsize=8 if len(names) <= 10 else 7)
        if log and min(xs) > 0 and max(xs) / min(xs) > 10:
            ax.set_xscale("log")
        else:
            ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy")
        ax.set_title(f"accuracy against {label}")
        out[key] = _png(fig)
    return out


def robustness_section(robustness_dir: Path) -> str:
    """The HTML section of a ``polymodal robustness`` result in ``robustness_dir`` ("" when there is none)."""
    import json

    path = robustness_dir / "robustness.json"
    if not path.is_file():
        return ""
    from polymodal.robustness.report import markdown_tables

    text = html.escape(markdown_tables(json.loads(path.read_text())))
    png = robustness_dir / "robustness.png"
    img = (f'<figure><img alt="robustness" src="data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}"></figure>'
           if png.is_file() else "")
    return f"<h2>Robustness</h2><p>From {html.escape(str(path.name))} (polymodal robustness).</p>{img}<pre>{text}</pre>"


def write_reports(results: dict[str, Any], out_dir: str | Path, command: str = "",
                  robustness_dir: str | Path | None = None) -> dict[str, Path]:
    """Write ``results.md`` and ``report.html`` (figures embedded) atomically into ``out_dir``.

    The HTML page gets a robustness section when ``robustness_dir`` (default ``out_dir/robustness``)
    holds the output of ``polymodal robustness``.
    """
    out_dir = Path(out_dir)
    command = command or results.get("command", "")
    section = robustness_section(Path(robustness_dir) if robustness_dir else out_dir / "robustness")
    s = results["settings"]
    seeds = results.get("seeds", [s["train_config"]["seed"]])
    intro = (f"Data set `{s['dataset']}` ({s['dataset_options']}), seeds {', '.join(map(str, seeds))} "
             f"(accuracy: mean ± s.d.; times: median), at most {s['train_config']['epochs']} epochs.")
    notes = routing_notes(results)
    imbalance = imbalance_table(results)
    balance = balance_section(results)
    md = (f"# Benchmark: {s['dataset']}\n\n{intro}\n\n" + (f"Command: `{command}`\n\n" if command else "")
          + markdown_table(results) + (f"\n{notes}" if notes else "") + (f"\n{balance}" if balance else "")
          + (f"\n{imbalance}" if imbalance else ""))
    paths = {"markdown": atomic_write_text(out_dir / "results.md", md)}
    figs = figures(results) if results["methods"] else {}
    header = "".join(f"<th>{html.escape(h)}</th>" for h, _, _ in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table_rows(results))
    imgs = "".join(f'<figure><img alt="{k}" src="data:image/png;base64,{v}"></figure>' for k, v in figs.items())
    notes_html = "".join(f"<p>{html.escape(line[2:])}</p>" for line in notes.splitlines())
    imbalance_html = f"<h2>Imbalance</h2><pre>{html.escape(imbalance)}</pre>" if imbalance else ""
    balance_html = f"<h2>Balanced learning</h2><pre>{html.escape(balance)}</pre>" if balance else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>polymodal bench: {html.escape(s['dataset'])}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}figure{{display:inline-block;margin:8px}}</style></head>
<body><h1>polymodal bench: {html.escape(s['dataset'])}</h1><p>{html.escape(intro)}</p>
{f'<p><code>{html.escape(command)}</code></p>' if command else ''}
<table><tr>{header}</tr>{body}</table>{notes_html}{imgs}{balance_html}{imbalance_html}{section}</body></html>
"""
    paths["html"] = atomic_write_text(out_dir / "report.html", page)
    return paths
