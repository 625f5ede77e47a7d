"""Encode each modality, fuse, predict."""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import nn

from polymodal.errors import ShapeError
from polymodal.fusion.base import Fusion
from polymodal.models.missing import Presence, fill_missing


class MultimodalModel(nn.Module):
    """``head(fusion({m: encoder_m(x_m)}))``.

    A unimodal baseline is the same model with one encoder and an identity fusion. With a
    :class:`~polymodal.models.missing.Presence`, a batch may lack modalities (absent keys, or
    per-example masks); their embeddings are filled by its strategy.

    Args:
        encoders: ``{modality: module (B, *shape_m) -> (B, d_m)}``; the keys are the modalities.
        fusion: maps ``{modality: (B, d_m)}`` to ``(B, fusion.output_dim)``.
        head: maps ``(B, fusion.output_dim)`` to ``(B, num_classes)`` logits.
    """

    def __init__(self, encoders: Mapping[str, nn.Module], fusion: Fusion, head: nn.Module) -> None:
        super().__init__()
        self.encoders = nn.ModuleDict(dict(encoders))
        self.fusion = fusion
        self.head = head
        #: ``{m: input shape}``, so that an absent key can be completed (set by ``build_model``).
        self.input_shapes: dict[str, tuple[int, ...]] | None = None
        #: ``{m: modality kind}`` (set by ``build_model``), so that an absent sequence is completed as one.
        self.input_kinds: dict[str, str] | None = None
        #: learned missing embeddings ``{m: (*e_m)}`` (strategy ``token``), if the model has them.
        self.missing_tokens: nn.ParameterDict | None = None
        #: a :class:`~polymodal.models.imputer.TranslationImputer` (strategy ``impute``), if the model has one.
        self.imputer: nn.Module | None = None

    @property
    def modalities(self) -> list[str]:
        """Names of the modalities the model reads, in order."""
        return list(self.encoders)

    def check_present(self, inputs: Mapping[str, torch.Tensor]) -> None:
        """Raise :class:`ShapeError` naming the first modality the model reads that ``inputs`` lacks."""
        missing = [m for m in self.encoders if m not in inputs]
        if missing:
            raise ShapeError(f"modality {missing[0]!r} is missing from the inputs (got {sorted(inputs)}); the model reads "
                             f"{self.modalities}. To predict without it, name a missing-modality strategy: "
                             "Presence('zero' | 'mean' | ...) in Python, --strategies for polymodal robustness")

    def test_report(self, run_test: Callable[[], object]) -> dict[str, object]:
        """Entries the model adds to a run's ``result.json`` about its test pass; none here.

        Args:
            run_test: runs the model over the test split (call it to observe that pass).
        """
        return {}

    def auxiliary_loss(self) -> torch.Tensor | None:
        """The fusion's extra training-loss term for the last forward pass (see :meth:`Fusion.auxiliary_loss`)."""
        return self.fusion.auxiliary_loss()

    def start_epoch(self, epoch: int) -> None:
        """Tell the fusion that training epoch ``epoch`` (from 0) begins (see :meth:`Fusion.start_epoch`)."""
        self.fusion.start_epoch(epoch)

    def encode(self, inputs: Mapping[str, torch.Tensor], presence: Presence | None = None) -> dict[str, torch.Tensor]:
        """Embed every modality: ``{m: (B, *shape_m)} -> {m: (B, d_m)}``; absent ones filled as ``presence`` says."""
        return self.encode_with_masks(inputs, presence)[0]

    def encode_with_masks(self, inputs: Mapping[str, torch.Tensor], presence: Presence | None = None
                          ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor] | None]:
        """``(embeddings, masks)``: :meth:`encode` and the ``{m: (B,) bool}`` presence masks (``None`` without ``presence``)."""
        if presence is None:
            self.check_present(inputs)
            return {m: enc(inputs[m]) for m, enc in self.encoders.items()}, None
        full, masks = presence.resolve(inputs, self.input_shapes, self.modalities, self.input_kinds)
        return fill_missing(self, {m: enc(full[m]) for m, enc in self.encoders.items()}, masks, presence), masks

    def fuse(self, embeddings: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor] | None = None,
             strategy: str | None = None) -> torch.Tensor:
        """The fusion of the embeddings; with the ``drop`` strategy, of the modalities present only."""
        if strategy == "drop" and masks is not None:
            return self.fusion.fuse_present(self.fusion.check_inputs(embeddings), masks)
        return self.fusion(embeddings)

    #: whether :meth:`forward_with_embeddings`'s prediction is ``head(fuse(embeddings))`` (not a routed one)
    fuses_all_embeddings: bool = True

    def forward_with_embeddings(self, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(logits (B, C), {m: embedding})``: the prediction :meth:`forward` makes and the embeddings,
        with each encoder run once (``head(fuse(embeddings))`` for every model that fuses all of them)."""
        embeddings = self.encode(inputs)
        return self.head(self.fuse(embeddings)), embeddings

    def forward(self, inputs: Mapping[str, torch.Tensor], presence: Presence | None = None) -> torch.Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)`` logits (see :class:`~polymodal.models.missing.Presence`)."""
        embeddings, masks = self.encode_with_masks(inputs, presence)
        return self.head(self.fuse(embeddings, masks, presence.strategy if presence else None))
