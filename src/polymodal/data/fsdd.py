"""Reader for the Free Spoken Digit Dataset (FSDD) recordings."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from polymodal.errors import DataFileError

FSDD_SOURCE = (
    "the Free Spoken Digit Dataset v1.0.10 (Z. Jackson et al.; CC BY-SA 4.0), folder recordings/ "
    "of github.com/Jakobovski/free-spoken-digit-dataset"
)
FSDD_RATE = 8000
_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")


@dataclass(frozen=True)
class Recording:
    """One FSDD recording, identified by its file name ``{digit}_{speaker}_{take}.wav``."""

    path: Path
    digit: int
    speaker: str
    take: int


def list_recordings(folder: str | Path) -> list[Recording]:
    """All recordings in ``folder``, sorted by file name (so that every build pairs them alike).

    Raises:
        DataFileError: the folder is missing or holds no recording named as FSDD names them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFileError(f"missing data folder {folder}; obtain it from {FSDD_SOURCE}")
    recs = []
    for path in sorted(folder.iterdir()):
        m = _NAME.match(path.name)
        if m:
            recs.append(Recording(path, int(m.group(1)), m.group(2), int(m.group(3))))
    if not recs:
        raise DataFileError(f"data folder {folder} holds no file named {{digit}}_{{speaker}}_{{take}}.wav; obtain it from {FSDD_SOURCE}")
    return recs


def read_recording(path: str | Path) -> np.ndarray:
    """Read one 8 kHz mono 16-bit recording as float32 samples in [-1, 1].

    Raises:
        DataFileError: unreadable or truncated file, wrong sample rate or channel count.
    """
    path = Path(path)
    try:
        rate, samples = wavfile.read(path)
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise DataFileError(f"data file {path} is not a readable WAV file ({exc}); obtain a fresh copy from {FSDD_SOURCE}") from exc
    if rate != FSDD_RATE or samples.ndim != 1 or samples.dtype != np.int16:
        raise DataFileError(
            f"data file {path}: {rate} Hz, shape {samples.shape}, {samples.dtype}; FSDD recordings are "
            f"{FSDD_RATE} Hz mono int16"
        )
    if len(samples) == 0:
        raise DataFileError(f"data file {path} holds no samples: it is truncated; obtain a fresh copy from {FSDD_SOURCE}")
    return samples.astype(np.float32) / 32768.0
