"""Conditional vectors and training-by-sampling."""

from .conditional import ConditionalSampler

__all__ = ["ConditionalSampler"]
