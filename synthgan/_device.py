"""Device and numeric precision, resolved at fit time (never at import).

``precision="auto"`` picks bfloat16 autocast only where the hardware runs it natively (a CUDA GPU
with bf16 support, or a CPU with AVX512-BF16 / AMX); otherwise float32.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch

from .exceptions import InvalidParameterError, check_choice

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16")


def resolve_device(device: str) -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' without a GPU is an error naming the fix."""
    check_choice("device", device, DEVICES)
    if device == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            "device='cuda' but no CUDA GPU is available here; use device='cpu' or 'auto'"
        )
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_has_native_bf16() -> bool:
    """True when /proc/cpuinfo lists AVX512-BF16 or AMX-BF16 (Linux); False when it cannot tell."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype to train and sample with, or None for plain float32."""
    check_choice("precision", precision, PRECISIONS)
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    native = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_native_bf16()
    return torch.bfloat16 if native else None


def autocast(device: torch.device | str, dtype: torch.dtype | None):
    """The autocast context for ``dtype`` on ``device`` (from ``resolve_precision``); none for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)
