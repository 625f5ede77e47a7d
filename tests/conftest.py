"""Shared fixtures. Real data is read from ``../shared/data`` beside the project (or $POLYMODAL_TEST_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polymodal.data import load_avmnist, load_digits

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("POLYMODAL_TEST_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder; its absence is a failure, not a skip (CI always has it)."""
    assert (DATA_DIR / "mnist").is_dir(), f"real data not found at {DATA_DIR}; set POLYMODAL_TEST_DATA"
    return DATA_DIR


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh cache folder for this test session."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def avmnist(data_dir: Path, cache_dir: Path):
    """AV-MNIST built once from the real files, with the default -10 dB noise."""
    return load_avmnist(data_dir, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def digits():
    """The built-in digits data set."""
    return load_digits()
