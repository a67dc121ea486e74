"""Pure loss functions of the Wasserstein GAN with gradient penalty and CTGAN's condition term.

Example:
    >>> import torch
    >>> critic = lambda x, generator=None: x.sum(dim=1, keepdim=True)  # gradient norm sqrt(2) everywhere
    >>> real, fake = torch.zeros(4, 2), torch.ones(4, 2)
    >>> round(gradient_penalty(critic, real, fake, pac=1, weight=1.0).item(), 4)  # (sqrt(2) - 1)^2
    0.1716
"""

from __future__ import annotations

from typing import Callable

import torch


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Negative Wasserstein estimate: the critic wants real scores high and fake scores low."""
    return fake_scores.mean() - real_scores.mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def interpolate(real: torch.Tensor, fake: torch.Tensor, pac: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random points between real and fake: one mix ratio per pack of ``pac`` rows (or per image, ``pac=1``)."""
    packs = real.shape[0] // pac
    alpha = torch.rand(packs, 1, generator=generator, device=real.device, dtype=real.dtype)
    alpha = alpha.repeat_interleave(pac, dim=0).reshape(-1, *([1] * (real.dim() - 1)))  # rows (or images) of a pack share it
    return torch.lerp(fake, real, alpha)


def norm_penalty(grad: torch.Tensor, weight: float) -> torch.Tensor:
    """weight * mean((||g|| - 1)^2) over the rows of ``grad``, (packs, features): the WGAN-GP term.

    Norms accumulate in float32 whatever ``grad``'s dtype, and the backward pass is one scaling of
    ``grad`` in its own dtype (autograd's norm builds float32 copies and masks the size of ``grad``)."""
    return _NormPenalty.apply(grad, weight)


def penalty_and_row_scale(grad: torch.Tensor, weight: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``norm_penalty``'s value and its gradient as a per-row factor: d penalty / d grad = scale[:, None] * grad,
    scale = 2 w (|g| - 1) / (|g| n) (float32 at least; a zero row, which has no direction, gets 0)."""
    norms = torch.linalg.vector_norm(grad, dim=1, dtype=torch.promote_types(grad.dtype, torch.float32))
    excess, n = norms - 1, len(norms)
    scale = torch.div(excess, norms.clamp_min_(torch.finfo(norms.dtype).tiny)).mul_(2 * weight / n)
    return torch.dot(excess, excess) * (weight / n), scale


class _NormPenalty(torch.autograd.Function):
    @staticmethod
    def forward(ctx, grad: torch.Tensor, weight: float) -> torch.Tensor:
        penalty, scale = penalty_and_row_scale(grad, weight)
        ctx.save_for_backward(grad, scale)
        return penalty

    @staticmethod
    def backward(ctx, out: torch.Tensor):
        grad, scale = ctx.saved_tensors
        return grad * (out * scale).to(grad.dtype)[:, None], None


def gradient_penalty(
    critic: Callable[..., torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    pac: int,
    weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """weight * E[(||grad critic(x_hat)||_2 - 1)^2] on random interpolates, through autograd (any critic).

    ``real``/``fake`` are (B, features) rows in packs of ``pac``, or (B, C, H, W) images with ``pac=1``.
    The tabular critic has a cheaper closed form: ``Critic.scores_and_gradients``.
    """
    mixed = interpolate(real, fake, pac, generator).requires_grad_(True)
    scores = critic(mixed, generator=generator)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return norm_penalty(grad.reshape(real.shape[0] // pac, -1), weight)


def condition_loss(raw: torch.Tensor, span_index: torch.Tensor, span_mask: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between the generator's logits in each row's conditioned span and its chosen level.

    ``span_index`` (B, max_width) holds each row's conditioned span's dense columns (padded with 0),
    ``span_mask`` (B, max_width) marks the real ones, ``target`` (B,) the level; mean over the batch.
    """
    logits = raw.gather(1, span_index).masked_fill(~span_mask, float("-inf"))  # (B, max_width)
    return torch.nn.functional.cross_entropy(logits.float(), target)


#: Added to the logits of a span's padding columns: its exp() is 0 in float32 and, unlike -inf, times 0 it is 0.
PAD_LOGIT = -1e9


def condition_loss_and_gradient(raw: torch.Tensor, span_index: torch.Tensor, pad: torch.Tensor, target: torch.Tensor,
                                grad_dtype: torch.dtype | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``condition_loss`` (float32 at least) and its gradient with respect to the gathered logits (B, max_width):
    (softmax - one-hot) / B, zero on the padding, in ``grad_dtype`` (default: the loss's). ``pad`` (B, max_width,
    float32) is 0 on each row's span and ``PAD_LOGIT`` past its end; ``target`` is the chosen level's one-hot
    times -1 / B, so the loss is one dot product and the gradient one scaled add. ``raw``'s gradient is the
    result's scatter-add along ``span_index``."""
    logits = torch.add(raw.gather(1, span_index), pad)
    log_p = torch.log_softmax(logits, dim=1)
    target = target.to(log_p.dtype)
    loss = torch.dot(log_p.view(-1), target.view(-1))
    # softmax again rather than exp(log_p): exp of the padding's -1e9 log-probabilities takes the slow
    # underflow path (150 against 17 us for 500 x 42 here), softmax's own exp does not
    grad = torch.empty_like(logits, dtype=grad_dtype or log_p.dtype)
    return loss, torch.add(target, torch.softmax(logits, dim=1), alpha=1.0 / len(log_p), out=grad)
