"""A multimodal model whose dynamic fusion skips the encoders of branches an example is not routed to."""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from polymodal.fusion.dynamic import DynamicFusion
from polymodal.models.missing import Presence
from polymodal.models.multimodal import MultimodalModel


def encoder_flops(encoder: nn.Module, shape: tuple[int, ...]) -> int:
    """Floating-point operations of one forward pass of ``encoder`` on one input of ``shape``."""
    counter = FlopCounterMode(display=False)
    was_training = encoder.training
    encoder.eval()
    with counter, torch.no_grad():
        encoder(torch.zeros(1, *shape))
    encoder.train(was_training)
    return counter.get_total_flops()


class DynamicMultimodalModel(MultimodalModel):
    """:class:`MultimodalModel` around a :class:`DynamicFusion` whose branch costs are the FLOPs of
    the encoders each branch needs.

    In training it is the plain model (every encoder runs, soft gates), and in evaluation too while
    the fusion holds its gate uniform (:attr:`DynamicFusion.experts_only`). In evaluation, the
    shared modalities are encoded for the whole batch, the gate routes each example, and the
    other modalities are encoded only for the examples routed to a branch that reads them,
    which is where dynamic fusion saves compute.

    Args:
        encoders: ``{modality: module}``.
        fusion: the dynamic fusion over the encoders' embeddings.
        head: ``(B, fusion.output_dim) -> (B, num_classes)``.
        costs: ``{modality: cost of its encoder}``, e.g. :func:`encoder_flops` per example.
    """

    fusion: DynamicFusion

    def __init__(self, encoders: Mapping[str, nn.Module], fusion: DynamicFusion, head: nn.Module,
                 costs: Mapping[str, float]) -> None:
        super().__init__(encoders, fusion, head)
        fusion.set_costs(costs)

    def test_report(self, run_test: Callable[[], object]) -> dict[str, object]:
        """``{"routing": ...}``: which branch each test example took and the compute saved
        (:meth:`DynamicFusion.routing_report`)."""
        self.fusion.reset_routing()
        run_test()
        return {"routing": self.fusion.routing_report()}

    fuses_all_embeddings = False  # outside training it predicts by routing

    def forward_with_embeddings(self, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The routed prediction outside training (what :meth:`forward` predicts) and every embedding."""
        if self.training or self.fusion.experts_only:
            return super().forward_with_embeddings(inputs)
        return self(inputs), self.encode(inputs)

    def forward(self, inputs: Mapping[str, torch.Tensor], presence: Presence | None = None) -> torch.Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)`` logits; with ``presence``, every encoder runs (filled embeddings are routed)."""
        if self.training or presence is not None or self.fusion.experts_only:  # every encoder runs
            return super().forward(inputs, presence)
        self.check_present(inputs)
        shared = {m: self.encoders[m](inputs[m]) for m in self.fusion.shared}
        fetch = lambda mods, rows: {m: self.encoders[m](inputs[m][rows]) for m in mods}  # noqa: E731
        return self.head(self.fusion.fuse_routed(shared, fetch))
