"""Gate policies: TOML files of checks on report keys, absolute or relative to the real-holdout reference.

    [[check]]
    metric = "privacy.exact_match_rate"     # a report key
    max = "reference + 0.01"                # or min =; a number, or reference [+-*] number
    fallback = 0.01                         # absolute threshold when the report has no reference
    optional = false                        # true: skip (waive) when the metric was not evaluated
    confidence = 0.95                       # refuse only when the metric is past the threshold by more
                                            # than this one-sided confidence allows (reads <metric>_se)
    reason = "copies of training rows must not exceed what a fresh real sample shows"

Example:
    >>> p = Policy.from_toml('[[check]]\\nmetric = "fidelity.column_shapes"\\nmin = "reference - 0.1"\\n')
    >>> p.checks[0].metric, p.checks[0].bound, p.checks[0].expression
    ('fidelity.column_shapes', 'min', 'reference - 0.1')
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from statistics import NormalDist

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..exceptions import PolicyError

SECTIONS = ("validity", "fidelity", "privacy")
CHECK_KEYS = ("metric", "min", "max", "fallback", "optional", "confidence", "reason")
_EXPR = re.compile(r"^\s*reference\s*(?:([+\-*])\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?))?\s*$")


@dataclass(frozen=True)
class Check:
    metric: str
    bound: str  # "min" or "max"
    expression: str  # a number as text, or a reference expression
    fallback: float | None = None
    optional: bool = False
    reason: str = ""
    confidence: float | None = None  # one-sided; the decision allows z(confidence) standard errors

    @property
    def z(self) -> float:
        """Standard errors the value may lie past the threshold before the check refuses (0 without
        ``confidence``)."""
        return 0.0 if self.confidence is None else float(NormalDist().inv_cdf(self.confidence))

    @property
    def relative(self) -> bool:
        return "reference" in self.expression

    def threshold(self, reference: float | None) -> float | None:
        """The numeric threshold; None when it needs a reference the report does not have."""
        if not self.relative:
            return float(self.expression)
        if reference is None:
            return self.fallback
        match = _EXPR.match(self.expression)
        op, number = match.group(1), float(match.group(2) or 0)
        return {None: reference, "+": reference + number, "-": reference - number, "*": reference * number}[
            op
        ]


@dataclass(frozen=True)
class Policy:
    checks: tuple[Check, ...]
    name: str = "custom"
    source: str = field(default="", compare=False)

    @classmethod
    def from_toml(cls, text: str, name: str = "custom") -> Policy:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policy {name}: not valid TOML ({exc})") from None
        unknown = [k for k in data if k not in ("check", "version", "name")]
        if unknown:
            raise PolicyError(f"policy {name}: unknown top-level keys {unknown}; use [[check]] tables")
        raw = data.get("check", [])
        if not isinstance(raw, list) or not raw:
            raise PolicyError(f"policy {name}: needs at least one [[check]] table")
        return cls(
            tuple(_check(entry, i + 1, name) for i, entry in enumerate(raw)),
            str(data.get("name", name)),
            text,
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> Policy:
        path = Path(path)
        if not path.is_file():
            raise PolicyError(f"policy file {path} does not exist")
        return cls.from_toml(path.read_text(encoding="utf-8"), name=path.name)

    @classmethod
    def default(cls, kind: str = "table") -> Policy:
        """The built-in policy for ``kind`` "table" or "image" (calibrated on real data; each threshold's
        reason is in the file and README)."""
        files = {
            "table": ("default_policy.toml", "default"),
            "image": ("default_image_policy.toml", "default-image"),
        }
        if kind not in files:
            raise PolicyError(f"kind={kind!r} has no built-in policy; use one of {list(files)}")
        file, name = files[kind]
        return cls.from_toml(
            resources.files(__package__).joinpath(file).read_text(encoding="utf-8"), name=name
        )


def _check(entry, index: int, name: str) -> Check:
    where = f"policy {name}: check {index}"
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} must be a table of keys")
    unknown = [k for k in entry if k not in CHECK_KEYS]
    if unknown:
        raise PolicyError(f"{where} has unknown keys {unknown}; allowed: {list(CHECK_KEYS)}")
    metric = entry.get("metric")
    if not isinstance(metric, str) or metric.split(".")[0] not in SECTIONS or "." not in metric:
        raise PolicyError(
            f"{where}: metric must be a report key starting with one of {list(SECTIONS)}, got {metric!r}"
        )
    bounds = [b for b in ("min", "max") if b in entry]
    if len(bounds) != 1:
        raise PolicyError(f"{where} ({metric}): give exactly one of min or max")
    value = entry[bounds[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PolicyError(f"{where} ({metric}): {bounds[0]} must be a number or a 'reference ...' expression")
    if isinstance(value, str) and not _EXPR.match(value):
        raise PolicyError(f"{where} ({metric}): {value!r} is not a number or 'reference [+-*] number'")
    fallback = entry.get("fallback")
    if fallback is not None and (isinstance(fallback, bool) or not isinstance(fallback, (int, float))):
        raise PolicyError(f"{where} ({metric}): fallback must be a number")
    if not isinstance(entry.get("optional", False), bool):
        raise PolicyError(f"{where} ({metric}): optional must be true or false")
    confidence = entry.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0.5 <= confidence < 1
    ):
        raise PolicyError(
            f"{where} ({metric}): confidence must be a number in [0.5, 1), e.g. 0.95, got {confidence!r}"
        )
    return Check(
        metric=metric,
        bound=bounds[0],
        expression=str(value),
        fallback=None if fallback is None else float(fallback),
        optional=bool(entry.get("optional", False)),
        reason=str(entry.get("reason", "")),
        confidence=None if confidence is None else float(confidence),
    )
