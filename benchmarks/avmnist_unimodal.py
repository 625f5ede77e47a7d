"""How hard is each AV-MNIST modality alone? Logistic regression on the raw features.

Audio: every FSDD recording's log-spectrogram (as built by ``load_avmnist``), trained on takes
5-49 and tested on FSDD's test takes 0-4, clean and at several SNRs. Image: the PCA-reduced
MNIST images of the ``avmnist`` train/test split.

Usage: python benchmarks/avmnist_unimodal.py [--data-dir ../shared/data]
Writes docs/avmnist_unimodal.md.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from polymodal.data.avmnist import load_avmnist, take_split
from polymodal.io import atomic_write_text


def logistic_accuracy(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """Test accuracy of an L2-regularised multinomial logistic regression."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(C=0.01, max_iter=300).fit(x_train, y_train)
    return float(clf.score(x_test, y_test))


def audio_accuracy(dataset) -> float:
    """Logistic regression on every recording once: train takes 5-49, test takes 0-4."""
    feats, labels, takes = [], [], []
    for split in dataset.splits.values():
        for name, x in zip(split.meta["audio_files"], split.inputs["audio"]):
            digit, _, take = name[: -len(".wav")].split("_")
            feats.append(x.flatten().numpy())
            labels.append(int(digit))
            takes.append(int(take))
    x, y = np.stack(feats), np.array(labels)
    test = np.array([take_split(t) == "test" for t in takes])
    return logistic_accuracy(x[~test], y[~test], x[test], y[test])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    args = parser.parse_args()
    rows = []
    for snr in ["clean", 0.0, -5.0, -10.0]:
        ds = load_avmnist(args.data_dir, snr_db=snr)
        rows.append((f"audio, {snr if snr == 'clean' else f'{snr:g} dB'}", audio_accuracy(ds)))
        print(f"{rows[-1][0]:>20}: {rows[-1][1]:.3f}", flush=True)
    tr, te = ds.splits["train"], ds.splits["test"]
    img = logistic_accuracy(tr.modality("image").flatten(1).numpy(), tr.labels.numpy(),
                            te.modality("image").flatten(1).numpy(), te.labels.numpy())
    rows.append(("image (PCA, 25% energy)", img))
    print(f"{rows[-1][0]:>20}: {img:.3f}")
    table = "\n".join(f"| {name} | {acc:.3f} |" for name, acc in rows)
    text = (
        "# AV-MNIST: unimodal difficulty\n\n"
        "Logistic regression (C = 0.01) on the raw features of each modality. Audio: each of the 3,000\n"
        "FSDD recordings once, trained on takes 5-49, tested on FSDD's test takes 0-4 (300 recordings).\n"
        "Image: the avmnist train split (7,000) against its test split (2,000).\n\n"
        "Command: `python benchmarks/avmnist_unimodal.py --data-dir ../shared/data`\n\n"
        "| features | test accuracy |\n|---|---|\n" + table + "\n"
    )
    atomic_write_text(Path(__file__).resolve().parents[1] / "docs" / "avmnist_unimodal.md", text)


if __name__ == "__main__":
    sys.exit(main())
