"""InfoNCE as a lower bound on mutual information (van den Oord et al. 2018; Poole et al., ICML 2019).

For a critic ``f`` and a batch of ``N`` pairs ``(x_i, y_i) ~ p(x, y)``,

    I(X; Y) >= I_NCE = E[ (1/N) sum_i log( e^{f(x_i, y_i)} / ((1/N) sum_j e^{f(x_i, y_j)}) ) ]
                     = log N - L_N,

where ``L_N`` is the InfoNCE (cross-entropy) loss of the ``(N, N)`` score matrix against its
diagonal. The bound can never exceed ``log N``, so it saturates when ``I > log N``.

Correlated Gaussians give a known truth: with ``x ~ N(0, I_d)`` and
``y = rho x + sqrt(1 - rho^2) e``, ``e ~ N(0, I_d)``, ``I(X; Y) = -(d / 2) log(1 - rho^2)`` nats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polymodal.errors import ConfigError, ShapeError


def infonce_lower_bound(scores: Tensor) -> Tensor:
    """``log N - L_N`` in nats from the critic scores ``S[i, j] = f(x_i, y_j)``: ``(N, N) -> ()``."""
    if scores.dim() != 2 or scores.shape[0] != scores.shape[1] or len(scores) < 2:
        raise ShapeError(f"scores must be a square (N, N) matrix with N >= 2, got shape {tuple(scores.shape)}")
    target = torch.arange(len(scores), device=scores.device)
    return math.log(len(scores)) - F.cross_entropy(scores, target)


def gaussian_rho(mi: float, dim: int) -> float:
    """The per-coordinate correlation ``rho`` giving ``I(X; Y) = mi`` nats in ``dim`` dimensions."""
    if mi < 0 or dim < 1:
        raise ConfigError(f"need mi >= 0 and dim >= 1, got mi={mi}, dim={dim}")
    return math.sqrt(1 - math.exp(-2 * mi / dim))


def gaussian_mi(rho: float, dim: int) -> float:
    """``I(X; Y) = -(dim / 2) log(1 - rho^2)`` nats of the correlated Gaussian pair."""
    if not -1 < rho < 1:
        raise ConfigError(f"rho must be in (-1, 1), got {rho}")
    return -dim / 2 * math.log1p(-rho * rho)


def sample_correlated_gaussians(n: int, dim: int, rho: float, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """``n`` pairs ``x, y`` of shape ``(n, dim)`` with ``y = rho x + sqrt(1 - rho^2) e``."""
    x = torch.randn(n, dim, generator=generator)
    e = torch.randn(n, dim, generator=generator)
    return x, rho * x + math.sqrt(1 - rho * rho) * e


class SeparableCritic(nn.Module):
    """``f(x, y) = g(x)^T h(y)`` with two MLPs; all ``N^2`` scores from ``2N`` network passes.

    Args:
        dim_x, dim_y: input sizes.
        hidden: hidden width of both MLPs.
        embed: output size of ``g`` and ``h``.
        layers: hidden layers per MLP.
    """

    def __init__(self, dim_x: int, dim_y: int, hidden: int = 256, embed: int = 32, layers: int = 2) -> None:
        super().__init__()
        self.g = _mlp(dim_x, hidden, embed, layers)
        self.h = _mlp(dim_y, hidden, embed, layers)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """``(N, dim_x), (N, dim_y) -> (N, N)`` scores ``f(x_i, y_j)``."""
        return self.g(x) @ self.h(y).T


class ConcatCritic(nn.Module):
    """``f(x, y) = MLP([x; y])``, evaluated on all ``N^2`` pairs.

    Args:
        dim_x, dim_y: input sizes.
        hidden: hidden width.
        layers: hidden layers.
    """

    def __init__(self, dim_x: int, dim_y: int, hidden: int = 256, layers: int = 2) -> None:
        super().__init__()
        self.net = _mlp(dim_x + dim_y, hidden, 1, layers)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """``(N, dim_x), (N, dim_y) -> (N, N)`` scores ``f(x_i, y_j)``."""
        n = len(x)
        pairs = torch.cat([x[:, None].expand(n, n, -1), y[None].expand(n, n, -1)], dim=-1)
        return self.net(pairs).squeeze(-1)


class GaussianOptimalCritic(nn.Module):
    """The optimal critic of the correlated Gaussian pair: ``f(x, y) = log p(y | x) - log p(y)``.

    ``f(x, y) = -||y - rho x||^2 / (2 (1 - rho^2)) + ||y||^2 / 2 - (d / 2) log(1 - rho^2)``; with it,
    ``I_NCE`` is the best the bound can do at batch size ``N`` (still below ``I`` and ``log N``).
    """

    def __init__(self, rho: float) -> None:
        super().__init__()
        self.rho = rho

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """``(N, d), (N, d) -> (N, N)`` scores ``f(x_i, y_j)``."""
        r = self.rho
        sq = torch.cdist(r * x, y, compute_mode="donot_use_mm_for_euclid_dist") ** 2
        return -sq / (2 * (1 - r * r)) + (y * y).sum(1)[None, :] / 2 - x.shape[1] / 2 * math.log1p(-r * r)


def _mlp(dim_in: int, hidden: int, dim_out: int, layers: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(layers):
        mods += [nn.Linear(dim_in if i == 0 else hidden, hidden), nn.ReLU()]
    mods.append(nn.Linear(hidden if layers else dim_in, dim_out))
    return nn.Sequential(*mods)


@dataclass
class InfoNCETrace:
    """Per-step InfoNCE estimates (nats) while training a critic on one joint distribution."""

    true_mi: float
    batch_size: int
    estimates: list[float]

    def final(self, last: int = 200) -> float:
        """Median of the last ``last`` estimates."""
        tail = torch.tensor(self.estimates[-last:])
        return float(tail.median())


def train_infonce_critic(
    critic: nn.Module, mi: float, dim: int = 20, batch_size: int = 64, steps: int = 2000, lr: float = 5e-4,
    seed: int = 0, progress: bool = False,
) -> InfoNCETrace:
    """Train ``critic`` by maximising ``I_NCE`` on fresh batches of correlated Gaussians.

    Args:
        critic: maps ``(N, dim), (N, dim)`` to ``(N, N)`` scores.
        mi: the true ``I(X; Y)`` in nats.
        dim: ``d``.
        batch_size: ``N``; the bound is at most ``log N``.
        steps: Adam steps, one fresh batch each.
        lr: Adam learning rate.
        seed: seed of the critic's batches.
        progress: show a progress bar.

    Returns:
        The estimate at every step (on the training batch, before the step's update).
    """
    from rich.progress import track

    g = torch.Generator().manual_seed(seed)
    rho = gaussian_rho(mi, dim)
    opt = torch.optim.Adam(critic.parameters(), lr=lr)
    estimates: list[float] = []
    loop = track(range(steps), description=f"InfoNCE, I = {mi:g} nats") if progress else range(steps)
    for _ in loop:
        x, y = sample_correlated_gaussians(batch_size, dim, rho, g)
        bound = infonce_lower_bound(critic(x, y))
        opt.zero_grad()
        (-bound).backward()
        opt.step()
        estimates.append(float(bound.detach()))
    return InfoNCETrace(mi, batch_size, estimates)
