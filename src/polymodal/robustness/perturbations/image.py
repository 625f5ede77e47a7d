"""Image perturbations: ``(B, C, H, W)`` standardised images."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from polymodal.robustness.perturbations.base import PerturbContext, normal_like, per_example, uniform_like

#: occlusion patches are squares of side ``max(1, round(H / OCCLUSION_GRID))``
OCCLUSION_GRID = 7


def gaussian_noise(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Additive Gaussian noise with standard deviation ``p`` times the image's own standard deviation.

    ``x' = x + p * std(x) * eps``, ``eps ~ N(0, 1)`` per pixel: at ``p = 1`` the noise is as
    strong as the image's contrast.
    """
    return x + p * x.std(dim=per_example(x), keepdim=True) * normal_like(x, generator)


def gaussian_blur(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Gaussian blur with standard deviation ``sigma = p * H / 10`` pixels (2.8 pixels at ``p = 1`` on 28x28).

    A separable kernel of ``2 ceil(3 sigma) + 1`` taps, reflected at the borders. Deterministic.
    """
    sigma = max(p * x.shape[-2] / 10.0, 1e-6)
    radius = min(int(math.ceil(3 * sigma)), (min(x.shape[-2:]) - 1))
    taps = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    flat = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    flat = F.conv2d(flat, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(flat, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def occlusion(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Random square patches covering a fraction ``p`` of the image, filled with the image's minimum.

    The image is cut into a grid of squares of side ``round(H / 7)``; ``round(p * cells)``
    cells, chosen at random per image, are occluded, so the covered fraction is ``p`` up to
    one cell (and exactly ``p`` when the image divides into whole cells).
    """
    b, c, h, w = x.shape
    side = max(1, round(h / OCCLUSION_GRID))
    rows, cols = math.ceil(h / side), math.ceil(w / side)
    n_cells = rows * cols
    k = round(p * n_cells)
    order = torch.rand(b, n_cells, generator=generator).argsort(dim=1)
    cells = torch.zeros(b, n_cells, dtype=torch.bool)
    cells.scatter_(1, order[:, :k], True)
    mask = cells.view(b, 1, rows, cols).repeat_interleave(side, 2).repeat_interleave(side, 3)[..., :h, :w].to(x.device)
    low = x.amin(dim=per_example(x), keepdim=True)
    return torch.where(mask, low.expand_as(x), x)


def salt_and_pepper(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """A fraction ``p`` of the pixels, at random, set to the image's maximum (salt) or minimum (pepper), each half the time."""
    hit = uniform_like(x, generator) < p
    salt = uniform_like(x, generator) < 0.5
    dims = per_example(x)
    high, low = x.amax(dim=dims, keepdim=True).expand_as(x), x.amin(dim=dims, keepdim=True).expand_as(x)
    return torch.where(hit, torch.where(salt, high, low), x)


def contrast_loss(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Contrast reduced by a factor ``1 - p`` around the image's mean: ``x' = mean + (1 - p)(x - mean)``; flat at ``p = 1``."""
    mean = x.mean(dim=per_example(x), keepdim=True)
    return mean + (1.0 - p) * (x - mean)
