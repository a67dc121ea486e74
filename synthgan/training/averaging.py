"""An exponential moving average of a network's weights (Yazici et al., ICLR 2019: averaged GAN
generators sample better than their last iterate).

The average starts from the first weights and uses ``min(decay, (1 + t) / (10 + t))`` at update t,
so short runs are not dominated by the initialisation (with a constant 0.999 the first weights would
still weigh 13% after 2,000 steps). Batch-norm running statistics are averaged the same way; integer
buffers (batch counts) are copied.

Example:
    >>> import torch
    >>> net = torch.nn.Linear(2, 1)
    >>> ema, before = WeightAverage(net, decay=0.9), net.weight.detach().clone()
    >>> with torch.no_grad():
    ...     _ = net.weight.add_(1.0)
    >>> ema.update(net)  # the first update's decay is min(0.9, 2 / 11): the average moves 9/11 of the way
    >>> round(float((ema.module.weight - before).mean()), 4)
    0.8182
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """``module``'s weights averaged over training updates; ``self.module`` is a copy to sample from."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = float(decay)
        self.module = copy.deepcopy(module).requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, now in zip(self.module.parameters(), module.parameters()):
            avg.lerp_(now, 1.0 - decay)
        for avg, now in zip(self.module.buffers(), module.buffers()):
            if avg.is_floating_point():
                avg.lerp_(now, 1.0 - decay)
            else:
                avg.copy_(now)

    def state_dict(self) -> dict:
        return {"module": self.module.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state["module"])
        self.updates = int(state["updates"])
