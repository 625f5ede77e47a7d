"""Dynamic fusion: a per-example gate routes each example to a cheap or an expensive branch."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.gates import gate_weights

#: fetch(modalities, rows) -> {modality: (len(rows), d_m)}: the features of the given examples.
Fetch = Callable[[Sequence[str], torch.Tensor], dict[str, torch.Tensor]]


class DynamicFusion(Fusion):
    """Dynamic multimodal fusion (after DynMM; Xue and Marculescu, "Dynamic Multimodal Fusion",
    CVPR workshops 2023).

    Branch k reads the modalities ``S_k`` and fuses them with a linear layer,
    ``F_k = W_k [x_m]_{m in S_k} + b_k``; every branch reads the shared modalities
    ``S_0 = intersection of all S_k``, from which a gate scores the branches,
    ``s = W_g [x_m]_{m in S_0} + b_g``. Branch k costs ``c_k`` (relative, the most expensive
    branch costs 1; by default the share of ``sum_m d_m`` it reads; models set the encoders'
    measured FLOPs with :meth:`set_costs`).

    * Training: gate probabilities ``p = softmax(s / T)``; :meth:`auxiliary_loss` returns the
      resource penalty ``lambda_e * mean_batch(sum_k p_k c_k)`` (the expected cost) to add to the
      task loss. The penalty warms up linearly over the first ``penalty_warmup`` epochs,
      ``lambda_e = lambda * min(1, e / penalty_warmup)`` in epoch ``e`` (from 0, as the training
      loop reports it through :meth:`start_epoch`; full ``lambda`` when no loop reports epochs).
      Without the warm-up the penalty routes every example to the cheap branch before the
      expensive one has learned its extra modality, and that branch then never learns it (the
      greedy-learner failure of ``docs/avmnist_recipe.md``); DynMM trains its experts before
      the gate for the same reason. With ``train_gate="soft"`` (default) the branches are blended,
      ``z = sum_k p_k F_k``; with ``train_gate="hard"`` the forward pass uses a one-hot
      straight-through Gumbel-softmax sample of ``p`` (each branch then trains alone, as it
      runs at inference) and the backward pass the soft gates' gradient.
    * Evaluation: hard gates, ``k* = argmax_k s_k``, ``z = F_{k*}``, and only the chosen branch
      is computed for each example; with :meth:`fuse_routed`, the features a branch needs
      beyond ``S_0`` are fetched (e.g. encoded) only for the examples routed to it.
      :meth:`routing_report` gives the fraction of examples per branch and the compute saved.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.
        branches: modality subsets, cheapest first; default ``[[first modality], all]``.
        penalty: ``lambda >= 0``.
        penalty_warmup: epochs over which the penalty rises linearly from 0 to ``lambda`` (0: none).
        temperature: gate temperature ``T > 0``.
        train_gate: ``"soft"`` (blend) or ``"hard"`` (straight-through) in training.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, branches: Sequence[Sequence[str]] | None = None,
                 penalty: float = 0.05, temperature: float = 1.0, train_gate: str = "soft",
                 penalty_warmup: int = 0) -> None:
        super().__init__(input_dims, output_dim)
        names = list(self.input_dims)
        branches = [list(b) for b in (branches if branches is not None else [names[:1], names])]
        for b in branches:
            unknown = [m for m in b if m not in self.input_dims]
            if not b or unknown or len(set(b)) != len(b):
                raise ConfigError(f"branches: {b} must be distinct modalities out of {names}")
        if len(branches) < 2:
            raise ConfigError(f"branches: dynamic fusion needs at least two branches, got {branches}")
        self.shared = [m for m in names if all(m in b for b in branches)]
        if not self.shared:
            raise ConfigError(f"branches {branches} share no modality; the gate reads the modalities all branches read")
        if not penalty >= 0 or not temperature > 0:
            raise ConfigError(f"penalty must be >= 0 and temperature > 0, got {penalty!r} and {temperature!r}")
        if train_gate not in ("hard", "soft"):
            raise ConfigError(f"train_gate must be 'hard' or 'soft', got {train_gate!r}")
        if isinstance(penalty_warmup, bool) or not isinstance(penalty_warmup, int) or penalty_warmup < 0:
            raise ConfigError(f"penalty_warmup must be an int >= 0 (epochs), got {penalty_warmup!r}")
        self.branches, self.penalty, self.temperature = branches, float(penalty), float(temperature)
        self.penalty_warmup = penalty_warmup
        self.epoch: int | None = None  # set by the training loop (start_epoch)
        self.train_gate = train_gate
        self.branch_fusions = nn.ModuleList(
            ConcatFusion({m: self.input_dims[m] for m in b}, output_dim) for b in branches
        )
        self.gate = nn.Linear(sum(self.input_dims[m] for m in self.shared), len(branches))
        self.register_buffer("costs", torch.ones(len(branches)), persistent=False)
        self.set_costs({m: float(d) for m, d in self.input_dims.items()})
        self.register_buffer("route_counts", torch.zeros(len(branches)), persistent=False)
        self._expected_cost: torch.Tensor | None = None

    @property
    def branch_names(self) -> list[str]:
        """``"a+b"`` for a branch reading modalities a and b."""
        return ["+".join(b) for b in self.branches]

    def set_costs(self, modality_costs: Mapping[str, float]) -> None:
        """Set branch costs to the summed cost of the modalities each reads, the largest scaled to 1."""
        cost = torch.tensor([sum(float(modality_costs[m]) for m in b) for b in self.branches])
        self.costs.copy_(cost / cost.max())

    def gate_scores(self, shared: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``(B, K)`` branch scores from the shared modalities."""
        return self.gate(torch.cat([shared[m] for m in self.shared], dim=-1))

    def start_epoch(self, epoch: int) -> None:
        """Record the training epoch (from 0) for the penalty warm-up."""
        self.epoch = int(epoch)

    @property
    def current_penalty(self) -> float:
        """``lambda_e``: the penalty of the current epoch (``lambda`` when no epoch was reported)."""
        if self.epoch is None or self.penalty_warmup == 0:
            return self.penalty
        return self.penalty * min(1.0, self.epoch / self.penalty_warmup)

    def auxiliary_loss(self) -> torch.Tensor | None:
        """``lambda_e * expected cost`` of the last training forward pass, else ``None``."""
        cost, self._expected_cost = self._expected_cost, None
        return None if cost is None else self.current_penalty * cost

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        if not self.training:
            return self.fuse_routed(inputs, lambda mods, rows: {m: inputs[m][rows] for m in mods})
        scores = self.gate_scores(inputs)  # (B, K)
        p = torch.softmax(scores / self.temperature, dim=-1)
        self._expected_cost = (p * self.costs).sum(-1).mean()
        g = p if self.train_gate == "soft" else gate_weights(scores, "hard", self.temperature, training=True)
        outs = torch.stack([f.fuse({m: inputs[m] for m in b}) for f, b in zip(self.branch_fusions, self.branches)], -1)
        return (outs * g.unsqueeze(-2)).sum(-1)

    def fuse_routed(self, shared: Mapping[str, torch.Tensor], fetch: Fetch) -> torch.Tensor:
        """Hard routing: each example through its argmax branch only.

        Args:
            shared: ``{m: (B, d_m)}`` for the shared modalities (more keys are ignored).
            fetch: returns the other modalities' features for the given example rows only.

        Returns:
            ``(B, output_dim)``; also adds the routing to :attr:`route_counts`.
        """
        choice = self.gate_scores(shared).argmax(-1)  # (B,)
        first = shared[self.shared[0]]
        z = first.new_empty(first.shape[0], self.output_dim)
        for k, (fusion, branch) in enumerate(zip(self.branch_fusions, self.branches)):
            rows = torch.nonzero(choice == k).flatten()
            self.route_counts[k] += len(rows)
            if len(rows) == 0:
                continue
            extra = [m for m in branch if m not in self.shared]
            fetched = fetch(extra, rows) if extra else {}
            x = {m: fetched[m] if m in fetched else shared[m][rows] for m in branch}  # the branch's order
            z[rows] = fusion.fuse(x)
        return z

    def reset_routing(self) -> None:
        """Zero :attr:`route_counts`."""
        self.route_counts.zero_()

    def routing_report(self) -> dict[str, object]:
        """Fractions of examples per branch since :meth:`reset_routing`, and the compute saved.

        ``compute_saved = 1 - sum_k f_k c_k / max_k c_k``: the share of the most expensive
        branch's cost that routing avoided.
        """
        n = float(self.route_counts.sum())
        frac = (self.route_counts / n) if n else torch.zeros_like(self.route_counts)
        return {
            "examples": int(n),
            "fraction": {name: float(f) for name, f in zip(self.branch_names, frac)},
            "relative_cost": {name: float(c) for name, c in zip(self.branch_names, self.costs)},
            "compute_saved": float(1 - (frac * self.costs).sum()) if n else 0.0,
        }
