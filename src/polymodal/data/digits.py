"""The built-in ``digits`` data set: scikit-learn's 8x8 digits as two views."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits as _sklearn_digits

from polymodal.data.dataset import MultimodalDataset
from polymodal.data.tabular import vector_views_dataset


def load_digits(seed: int = 0) -> MultimodalDataset:
    """Scikit-learn's handwritten digits as two modalities: the top and bottom half of each image.

    Provenance: the 1,797 8x8 images of the UCI "Optical Recognition of Handwritten Digits" test
    set (Alpaydin and Kaynak, 1998) as shipped with scikit-learn, so no file is needed. Each
    image is cut into ``top`` (rows 0-3) and ``bottom`` (rows 4-7), 32 pixels each,
    standardised with training-split statistics. Split: stratified, seeded, 70% train /
    15% validation / 15% test (1,257 / 270 / 270).

    Args:
        seed: seed of the split.

    Returns:
        A data set with modalities ``top`` (32,) and ``bottom`` (32,) and 10 classes.
    """
    bunch = _sklearn_digits()
    images = bunch.images.reshape(-1, 8, 8)
    labels = bunch.target.astype(np.int64)
    views = {"top": images[:, :4].reshape(-1, 32), "bottom": images[:, 4:].reshape(-1, 32)}
    return vector_views_dataset(
        "digits",
        views,
        labels,
        seed=seed,
        val_fraction=0.15,
        test_fraction=0.15,
        view_descriptions={
            "top": "rows 0-3 of the 8x8 digit image, 32 pixels",
            "bottom": "rows 4-7 of the 8x8 digit image, 32 pixels",
        },
        description="scikit-learn 8x8 handwritten digits (UCI optdigits), top and bottom halves as two views",
        options={"seed": seed},
    )
