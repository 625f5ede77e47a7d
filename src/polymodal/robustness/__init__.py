"""Robustness to noisy and missing modalities.

- :mod:`.perturbations`: per-kind perturbations, pure functions of (batch, level, generator);
- :mod:`.corrupt`: applying them to a split's batches (on waveforms where a data set has them);
- :mod:`.impute`: training the translation imputer and its R^2;
- :mod:`.metrics`: relative and effective robustness;
- :mod:`.run`: ``polymodal robustness``, the curves of every trained model of a bench or run.

The missing-modality strategies themselves belong to the models: :mod:`polymodal.models.missing`.
"""
