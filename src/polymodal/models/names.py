"""The names of the models selectable by name, as a type: no import beyond ``typing``.

:data:`polymodal.catalog.CATALOG` holds the models themselves and checks, when it is built,
that its names are exactly :data:`ModelName` in order and that ``--fusions all`` is exactly
:data:`IN_ALL`; the command line's help reads them from here so that ``polymodal --help``
does not import PyTorch.
"""

from typing import Literal, get_args

ModelName = Literal[
    "unimodal", "early", "late", "additive", "multiplicative", "bilinear", "tensor", "low-rank", "polynomial", "gated",
    "gated-hard", "modality-shift", "mixture", "mixture-hard", "dynamic", "nonlinear", "transformer",
    "cross-modal-transformer", "raw", "heterogeneity-aware", "discriminative-fission", "factorized", "autoencoder",
]
#: Every model name, in catalog order.
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
#: The names ``--fusions all`` stands for.
IN_ALL: tuple[str, ...] = MODEL_NAMES[1:19]
