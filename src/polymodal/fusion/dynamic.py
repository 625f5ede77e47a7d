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
      greedy-learner failure of ``docs/avmnist_recipe.md``). DynMM trains its experts before
      the gate for the same reason, and so does ``expert_epochs = E > 0``: in epochs ``e < E``
      the gate is held uniform, ``p_k = 1/K`` (no gradient reaches it, no penalty), and the
      penalty's warm-up starts at ``E``, ``lambda_e = lambda * min(1, (e - E) / penalty_warmup)``.
      Evaluation in those epochs blends the branches the same way (the gate has learned nothing
      to route by), and a checkpoint keeps which stage it was saved in.
      A learned gate can otherwise route away from the branch whose extra modality is still
      noise before any penalty acts, and that branch then never learns it (dynamic fusion on
      AV-MNIST, seed 1). With ``train_gate="soft"`` (default) the branches are blended,
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
        expert_epochs: epochs at the start in which the gate is held uniform and the branches
            train as experts (0: none).
        temperature: gate temperature ``T > 0``.
        train_gate: ``"soft"`` (blend) or ``"hard"`` (straight-through) in training.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, branches: Sequence[Sequence[str]] | None = None,
                 penalty: float = 0.05, temperature: float = 1.0, train_gate: str = "soft",
                 penalty_warmup: int = 0, expert_epochs: int = 0) -> None:
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
        for name, epochs in (("penalty_warmup", penalty_warmup), ("expert_epochs", expert_epochs)):
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
                raise ConfigError(f"{name} must be an int >= 0 (epochs), got {epochs!r}")
        self.branches, self.penalty, self.temperature = branches, float(penalty), float(temperature)
        self.penalty_warmup, self.expert_epochs = penalty_warmup, expert_epochs
        self.epoch: int | None = None  # set by the training loop (start_epoch)
        self.train_gate = train_gate
        self.branch_fusions = nn.ModuleList(
            ConcatFusion({m: self.input_dims[m] for m in b}, output_dim) for b in branches
        )
        self.gate = nn.Linear(sum(self.input_dims[m] for m in self.shared), len(branches))
        self.register_buffer("costs", torch.ones(len(branches)), persistent=False)
        self.set_costs({m: float(d) for m, d in self.input_dims.items()})
        self.register_buffer("route_counts", torch.zeros(len(branches)), persistent=False)
        self.register_buffer("holding_gate", torch.tensor(False))  # in the experts' epochs (saved with the weights)
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
        """Record the training epoch (from 0) for the experts' stage and the penalty warm-up."""
        self.epoch = int(epoch)
        self.holding_gate.fill_(self.epoch < self.expert_epochs)

    @property
    def experts_only(self) -> bool:
        """Whether the gate is held uniform: the epoch is one of the first ``expert_epochs``, or the
        weights were saved in one (never when no epoch was reported)."""
        return bool(self.holding_gate)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: object, **kwargs: object) -> None:
        # checkpoints saved before the experts' stage existed were routed by their gate
        state_dict.setdefault(prefix + "holding_gate", torch.tensor(False))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def current_penalty(self) -> float:
        """``lambda_e``: the penalty of the current epoch (``lambda`` when no epoch was reported)."""
        if self.epoch is None:
            return self.penalty
        if self.experts_only:
            return 0.0
        if self.penalty_warmup == 0:
            return self.penalty
        return self.penalty * min(1.0, (self.epoch - self.expert_epochs) / self.penalty_warmup)

    def auxiliary_loss(self) -> torch.Tensor | None:
        """``lambda_e * expected cost`` of the last training forward pass, else ``None``."""
        cost, self._expected_cost = self._expected_cost, None
        return None if cost is None else self.current_penalty * cost

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        if not self.training and not self.experts_only:
            return self.fuse_routed(inputs, lambda mods, rows: {m: inputs[m][rows] for m in mods})
        scores = self.gate_scores(inputs)  # (B, K)
        if self.experts_only:  # a uniform gate: each branch trains on every example (soft) or a random share (hard)
            scores = scores * 0.0  # zero gradient, but the gate stays in the graph (DDP expects every parameter used)
        p = torch.softmax(scores / self.temperature, dim=-1)
        if self.training:
            self._expected_cost = (p * self.costs).sum(-1).mean()
        hard = self.train_gate == "hard" and self.training  # evaluation in the experts' epochs: the plain mean
        g = gate_weights(scores, "hard", self.temperature, training=True) if hard else p
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
            "experts_only": self.experts_only,  # saved in the experts' epochs: blended, not routed
            "examples": int(n),
            "fraction": {name: float(f) for name, f in zip(self.branch_names, frac)},
            "relative_cost": {name: float(c) for name, c in zip(self.branch_names, self.costs)},
            "compute_saved": float(1 - (frac * self.costs).sum()) if n else 0.0,
        }
