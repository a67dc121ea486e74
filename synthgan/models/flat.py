"""A network's parameters as views of one flat tensor, and what that buys a hand-written training step.

Adam updates the flat tensor in one fused kernel instead of one per parameter. The parameters the
step's matmuls read in a lower compute dtype (bfloat16 under mixed precision) lie first, so their
low-precision copies are one cast of that leading part, and their gradients, computed in that dtype,
go into one scratch tensor that a single copy converts into the flat float32 gradient: per Adult
step, 9 weight casts become 2 and 12 gradient conversions 2 (196 -> 179 ops in all).
"""

from __future__ import annotations

import functools

import torch
from torch import nn


class FlatParameters:
    """``params`` moved into one flat tensor (values kept), each gradient a view of one flat gradient.

    The first ``low`` of ``params`` are those a hand-written step computes with in a compute dtype
    (``cast``) and whose gradients it writes through a ``GradientSink``.

    Example:
        >>> import torch
        >>> net = torch.nn.Linear(3, 2)
        >>> flat = FlatParameters(list(net.parameters()), low=2)
        >>> flat.flat.shape, net.weight.grad.data_ptr() == flat.flat.grad.data_ptr()
        (torch.Size([8]), True)
    """

    def __init__(self, params: list[nn.Parameter], low: int) -> None:
        with torch.no_grad():
            self.flat = nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
            self.flat.grad = torch.zeros_like(self.flat)
        self.start: dict[int, int] = {}  # by id(param)
        start = 0
        for p in params:
            p.data = self.flat.data[start : start + p.numel()].view_as(p)
            p.grad = self.flat.grad[start : start + p.numel()].view_as(p)
            self.start[id(p)] = start
            start += p.numel()
        self.low_numel = sum(p.numel() for p in params[:low])
        self._casts: dict[torch.dtype, torch.Tensor] = {}
        self._fresh: set[torch.dtype] = set()
        self._scratch: dict[torch.dtype, torch.Tensor] = {}
        self._views: dict[tuple, torch.Tensor] = {}  # (buffer kind, dtype, id(param)) -> its view: made once, not per step

    def is_low(self, param: torch.Tensor) -> bool:
        return self.start.get(id(param), self.low_numel) < self.low_numel

    def changed(self) -> None:
        """Mark the casts stale: call after every optimizer step (fused Adam moves no version counter)."""
        self._fresh.clear()

    def cast(self, param: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """A leading ``param`` in ``dtype``: a view of one cast of all of them, made again after ``changed``."""
        if param.dtype == dtype:
            return param
        if dtype not in self._fresh:
            copy = self._casts.get(dtype)
            if copy is None:
                copy = self._casts[dtype] = torch.empty(self.low_numel, dtype=dtype, device=self.flat.device)
            copy.copy_(self.flat.detach()[: self.low_numel])
            self._fresh.add(dtype)
        return self._view("cast", self._casts[dtype], param)

    def scratch(self, param: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """Where a leading ``param``'s gradient computed in ``dtype`` is written before ``commit``."""
        if param.dtype == dtype:
            return param.grad
        if dtype not in self._scratch:
            self._scratch[dtype] = torch.empty(self.low_numel, dtype=dtype, device=self.flat.device)
        return self._view("scratch", self._scratch[dtype], param)

    def commit(self, dtype: torch.dtype) -> None:
        """Convert the gradients written into the ``dtype`` scratch into the flat gradient, in one copy."""
        if dtype in self._scratch:
            self.flat.grad[: self.low_numel].copy_(self._scratch[dtype])

    def _view(self, kind: str, tensor: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
        key = (kind, tensor.dtype, id(param))
        view = self._views.get(key)
        if view is None:
            if not self.is_low(param):  # the casts and the scratch cover the leading parameters only
                raise ValueError(f"a {tuple(param.shape)} parameter is not among the flat layout's low-precision ones")
            start = self.start[id(param)]
            view = self._views[key] = tensor[start : start + param.numel()].view(param.shape)
        return view


class GradientSink:
    """Where a hand-written backward pass writes parameter gradients computed in ``dtype``:
    ``out(param)`` is the tensor to write into (``out=`` of the matmul or sum), ``commit()`` puts
    them into the parameters' ``.grad`` in the parameters' dtype, replacing what was there."""

    def __init__(self, flat: FlatParameters | None, dtype: torch.dtype) -> None:
        self.flat, self.dtype = flat, dtype
        self.pending: list[tuple[torch.Tensor, torch.Tensor]] = []

    def out(self, param: torch.Tensor) -> torch.Tensor:
        if self.flat is not None and self.flat.is_low(param):
            return self.flat.scratch(param, self.dtype)
        if param.dtype == self.dtype:
            return grad_buffer(param)
        value = torch.empty(param.shape, dtype=self.dtype, device=param.device)
        self.pending.append((param, value))
        return value

    def commit(self) -> None:
        for param, value in self.pending:
            grad_buffer(param).copy_(value)
        self.pending.clear()
        if self.flat is not None:
            self.flat.commit(self.dtype)


def flatten_parameters(module: nn.Module) -> nn.Parameter:
    """Lay ``module``'s parameters out flat, those its ``low_precision_parameters()`` lists (if it
    has the method) first; ``module.flat`` keeps the layout. Returns the flat parameter for Adam."""
    first = list(getattr(module, "low_precision_parameters", list)())
    leading = {id(p) for p in first}
    rest = [p for p in module.parameters() if id(p) not in leading]
    module.flat = FlatParameters(first + rest, low=len(first))
    return module.flat.flat


class FlatAdam:
    """Adam over one flat parameter by a direct call of torch's fused kernel: the update of
    ``torch.optim.Adam(fused=True)`` (L2 ``weight_decay``), without its per-step Python (grouping,
    hooks, profiler records: ~55 us a call here) or its step-count increment (the count is a view
    into a precomputed range). Gradients are read from the ``param.grad`` buffer there is at construction
    (made if missing): write into it, as the hand-written steps do. ``available()`` says whether this
    torch has the kernel on a device.

    Example:
        >>> import torch
        >>> param = torch.nn.Parameter(torch.ones(3)); param.grad = torch.ones(3)
        >>> FlatAdam(param, lr=0.1, betas=(0.5, 0.9), weight_decay=0.0).step()
        >>> param.detach()
        tensor([0.9000, 0.9000, 0.9000])
    """

    CHUNK = 4096  # step counts made at a time

    def __init__(self, param: torch.Tensor, lr: float, betas: tuple[float, float], weight_decay: float, eps: float = 1e-8) -> None:
        self.param, self.lr, self.betas, self.weight_decay, self.eps = param, lr, betas, weight_decay, eps
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(param), torch.zeros_like(param)
        self.steps = 0
        self._counts = torch.empty(0)
        if param.grad is None:
            param.grad = torch.zeros_like(param)
        # the kernel's tensor lists, made once: write gradients into ``param.grad``, do not replace it
        self._lists = ([param.detach()], [param.grad], [self.exp_avg], [self.exp_avg_sq], [])

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def available(device: torch.device) -> bool:
        """Whether this torch has the fused kernel for ``device`` (probed once per device)."""
        probe = torch.zeros(1, device=device)
        try:
            torch._fused_adam_([probe], [probe.clone()], [probe.clone()], [probe.clone()], [], [torch.ones((), device=device)],
                               amsgrad=False, lr=0.1, beta1=0.5, beta2=0.9, weight_decay=0.0, eps=1e-8, maximize=False)
        except (AttributeError, RuntimeError, TypeError):  # no such kernel, or none for this device
            return False
        return True

    def step(self) -> None:
        """One update from ``param.grad``."""
        at = self.steps % self.CHUNK
        if at == 0:
            self._counts = torch.arange(self.steps + 1, self.steps + 1 + self.CHUNK, dtype=torch.float32, device=self.param.device)
        self.steps += 1
        torch._fused_adam_(*self._lists, [self._counts[at]], amsgrad=False, lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
                           weight_decay=self.weight_decay, eps=self.eps, maximize=False)


def cast(param: torch.Tensor, dtype: torch.dtype, flat: FlatParameters | None) -> torch.Tensor:
    """``param`` in ``dtype``: a view of the flat layout's one cast if there is a layout, else a fresh copy."""
    return param.to(dtype) if flat is None else flat.cast(param, dtype)


def grad_buffer(param: torch.Tensor) -> torch.Tensor:
    """``param``'s gradient buffer (its dtype and shape), reused from step to step; its contents are the caller's to set."""
    if param.grad is None or param.grad.shape != param.shape:
        param.grad = torch.empty_like(param)
    return param.grad
