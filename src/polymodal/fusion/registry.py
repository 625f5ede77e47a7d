"""Fusions selectable by name, e.g. from ``polymodal bench --fusions``."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from polymodal.checks import is_integer, positive_int
from polymodal.errors import ConfigError
from polymodal.fusion.additive import AdditiveFusion
from polymodal.fusion.base import Fusion
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.bilinear import BilinearFusion
from polymodal.fusion.late import LateFusion
from polymodal.fusion.low_rank import LowRankFusion
from polymodal.fusion.multiplicative import MultiplicativeFusion
from polymodal.fusion.tensor import TensorFusion
from polymodal.fusion.cross_modal_transformer import CrossModalTransformerFusion
from polymodal.fusion.dynamic import DynamicFusion
from polymodal.fusion.gated import GatedFusion
from polymodal.fusion.mixture import MixtureOfFusions
from polymodal.fusion.modality_shift import ModalityShiftingFusion
from polymodal.fusion.nonlinear import NonlinearFusion
from polymodal.fusion.polynomial import PolynomialFusion
from polymodal.fusion.transformer import TransformerFusion

#: name -> factory(input_dims, hidden_dim, num_classes, **options) -> Fusion
FusionFactory = Callable[..., Fusion]


def _sized(cls: Callable[..., Fusion], **defaults: Any) -> FusionFactory:
    """Factory of a fusion whose output size is ``hidden_dim`` unless an ``output_dim`` option says
    otherwise: ``cls(dims, output_dim=hidden_dim, **defaults, **options)``; the option
    ``output_dim=None`` means no projection where the fusion allows it (tensor fusion, as in
    MultiBench: the head reads the whole tensor; ``docs/avmnist_recipe.md``)."""
    return lambda dims, hidden_dim, num_classes, **kw: cls(dims, **{"output_dim": hidden_dim, **defaults, **kw})


FUSIONS: dict[str, FusionFactory] = {
    "early": lambda dims, hidden_dim, num_classes, **kw: ConcatFusion(dims, **kw),
    "late": lambda dims, hidden_dim, num_classes, **kw: LateFusion(dims, num_classes, hidden_dim=hidden_dim, **kw),
    "additive": _sized(AdditiveFusion),
    "multiplicative": _sized(MultiplicativeFusion),
    "bilinear": _sized(BilinearFusion),
    "tensor": _sized(TensorFusion),
    "low-rank": _sized(LowRankFusion),
    "polynomial": _sized(PolynomialFusion),
    "gated": _sized(GatedFusion),
    "gated-hard": _sized(GatedFusion, gate="hard"),
    "modality-shift": lambda dims, hidden_dim, num_classes, **kw: ModalityShiftingFusion(dims, **kw),
    "mixture": lambda dims, hidden_dim, num_classes, **kw: _mixture(dims, hidden_dim, **kw),
    "mixture-hard": lambda dims, hidden_dim, num_classes, **kw: _mixture(dims, hidden_dim, **{"gate": "hard", **kw}),
    "dynamic": _sized(DynamicFusion),
    "nonlinear": _sized(NonlinearFusion),
    "transformer": _sized(TransformerFusion),
    "cross-modal-transformer": _sized(CrossModalTransformerFusion),
    "raw": _sized(TransformerFusion),
}

#: Fusions that read token sequences made from the raw inputs (patches), not encoder embeddings.
READS_TOKENS = frozenset({"cross-modal-transformer", "raw"})

#: The experts of ``mixture`` unless ``experts=[...]`` says otherwise: no interaction, element-wise
#: products, and an MLP over the concatenation.
DEFAULT_EXPERTS = ("additive", "multiplicative", "nonlinear")


def _mixture(dims: dict[str, int], hidden_dim: int, experts: Sequence[str] = DEFAULT_EXPERTS,
             **kw: Any) -> MixtureOfFusions:
    nested = [e for e in experts if e.startswith("mixture") or e == "dynamic" or e not in FUSIONS or e in READS_TOKENS]
    if nested:
        raise ConfigError(f"experts: {nested[0]!r} cannot be a mixture expert; choose vector fusions from {', '.join(FUSIONS)}")
    return MixtureOfFusions(dims, {e: make_fusion(e, dims, hidden_dim, num_classes=1) for e in experts}, **kw)


def fusion_names() -> list[str]:
    """Names accepted by :func:`make_fusion`."""
    return list(FUSIONS)


def make_fusion(
    name: str, input_dims: Mapping[str, int], hidden_dim: int, num_classes: int, **options: Any
) -> Fusion:
    """Build the fusion called ``name``.

    Args:
        name: one of :func:`fusion_names`.
        input_dims: ``{modality: embedding size}``.
        hidden_dim: size of the fused representation for fusions that have one.
        num_classes: output size for fusions that predict (late fusion).
        **options: passed to the fusion's constructor.

    Raises:
        ConfigError: unknown name or bad option.
    """
    if name not in FUSIONS:
        raise ConfigError(f"fusion {name!r} is unknown; choose from {', '.join(FUSIONS)}")
    # NumPy integers (np.int64(3) from an array's shape, say) are sizes like any int.
    input_dims = {m: positive_int(d, f"input_dims[{m!r}]") for m, d in dict(input_dims).items()}
    hidden_dim, num_classes = positive_int(hidden_dim, "hidden_dim"), positive_int(num_classes, "num_classes")
    options = {k: int(v) if is_integer(v) else v for k, v in options.items()}
    try:
        return FUSIONS[name](input_dims, hidden_dim, num_classes, **options)
    except TypeError as exc:
        raise ConfigError(f"fusion {name!r}: bad option ({exc})") from None
