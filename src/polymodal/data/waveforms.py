"""The recordings behind a spectrogram modality, so that audio can be perturbed where it is a signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from polymodal.data.audio import log_spectrogram


@dataclass(frozen=True)
class StandardisedLogSpectrogram:
    """The front end of AV-MNIST's audio: ``(log_spectrogram(w) - mean) / std`` as ``(B, 1, F, T)``.

    Attributes:
        mean, std: the training statistics the stored spectrograms were standardised with.
    """

    mean: float
    std: float

    def __call__(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``(B, T)`` waveforms -> ``(B, 1, F, frames)`` standardised log power spectrograms."""
        spec = log_spectrogram(waveforms.detach().cpu().numpy().astype(np.float32))
        return torch.from_numpy((spec - self.mean) / self.std).unsqueeze(1).to(waveforms.device)


@dataclass(frozen=True)
class WaveformSource:
    """The waveforms a modality's inputs were computed from.

    Attributes:
        signals: ``(N_m, T)``, row ``i`` the recording of input row ``i`` of the modality.
        front_end: ``(B, T) -> (B, *shape)``, the computation that made the inputs.
    """

    signals: torch.Tensor
    front_end: Callable[[torch.Tensor], torch.Tensor]
