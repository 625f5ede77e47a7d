"""Perturbations selectable by name, per modality kind."""

from __future__ import annotations

from polymodal.errors import ConfigError
from polymodal.robustness.perturbations import audio, image, sequence, vector
from polymodal.robustness.perturbations.base import Perturbation

PERTURBATIONS: dict[str, dict[str, Perturbation]] = {
    "image": {
        "gaussian": Perturbation("gaussian", "image", image.gaussian_noise),
        "blur": Perturbation("blur", "image", image.gaussian_blur),
        "occlusion": Perturbation("occlusion", "image", image.occlusion),
        "salt-pepper": Perturbation("salt-pepper", "image", image.salt_and_pepper),
        "contrast": Perturbation("contrast", "image", image.contrast_loss),
    },
    "spectrogram": {
        "snr": Perturbation("snr", "spectrogram", audio.white_noise, on_waveform=True),
        "time-mask": Perturbation("time-mask", "spectrogram", audio.time_masking),
        "freq-mask": Perturbation("freq-mask", "spectrogram", audio.frequency_masking),
        "time-shift": Perturbation("time-shift", "spectrogram", audio.time_shift),
    },
    "vector": {
        "gaussian": Perturbation("gaussian", "vector", vector.gaussian_noise),
        "dropout": Perturbation("dropout", "vector", vector.feature_dropout),
    },
    "sequence": {
        "gaussian": Perturbation("gaussian", "sequence", sequence.step_noise),
        "frame-drop": Perturbation("frame-drop", "sequence", sequence.padded_frame_dropping),
        "truncate": Perturbation("truncate", "sequence", sequence.padded_truncation),
        # the names of the spectrogram's masks, so that one recipe masks audio of either form
        "time-mask": Perturbation("time-mask", "sequence", sequence.step_band_masking),
        "freq-mask": Perturbation("freq-mask", "sequence", sequence.feature_band_masking),
    },
}

#: the perturbation ``polymodal robustness`` applies to a kind unless told otherwise
DEFAULT_PERTURBATION = {"image": "gaussian", "spectrogram": "snr", "vector": "gaussian", "sequence": "gaussian"}


def get_perturbation(kind: str, name: str | None = None, argument: str = "--perturbation") -> Perturbation:
    """The perturbation ``name`` (default: :data:`DEFAULT_PERTURBATION`) of modality kind ``kind``.

    Raises:
        ConfigError: a kind without perturbations, or a name unknown for the kind (naming the choices).
    """
    if kind not in PERTURBATIONS:
        raise ConfigError(f"{argument}: modality kind {kind!r} has no perturbations; kinds with some: {', '.join(PERTURBATIONS)}")
    name = name or DEFAULT_PERTURBATION[kind]
    if name not in PERTURBATIONS[kind]:
        raise ConfigError(f"{argument}: {name!r} is unknown for kind {kind!r}; choose from {', '.join(PERTURBATIONS[kind])}")
    return PERTURBATIONS[kind][name]
