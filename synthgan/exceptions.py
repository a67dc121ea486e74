"""One typed hierarchy for every error synthgan raises on purpose.

Each error carries a one-line, actionable message: what was wrong, what was expected, what to do.
Messages name files, columns, category levels and counts, never rows or values of real data.
The CLI maps ``SynthganError`` to exit code 1 and prints only the message.

Example:
    >>> from synthgan.exceptions import DataLoadError, SynthganError
    >>> issubclass(DataLoadError, SynthganError) and issubclass(DataLoadError, ValueError)
    True
"""

from __future__ import annotations


class SynthganError(Exception):
    """Base class: every deliberate synthgan error derives from it."""


class DataLoadError(SynthganError, ValueError):
    """A table could not be read (base for the specific load errors)."""


class FileMissingError(DataLoadError, FileNotFoundError):
    """The path does not exist or is not a regular file."""


class UnreadableFileError(DataLoadError):
    """The file exists but is not a table synthgan can parse (binary garbage, bad encoding...)."""


class EmptyTableError(DataLoadError):
    """The file or DataFrame holds no data rows (empty file or header only)."""


class NoUsableColumnError(DataLoadError):
    """Every column is empty, so there is nothing to learn."""


class DuplicateColumnError(DataLoadError):
    """Two or more columns share a name."""


class SchemaError(SynthganError, ValueError):
    """A schema (inferred, declared or loaded from JSON) is invalid or does not fit the data."""


class InvalidParameterError(SynthganError, ValueError):
    """A constructor or method argument is outside its accepted values."""


class ModelFileError(SynthganError, ValueError):
    """A model file is missing, damaged, tampered with or from an incompatible version."""


class TrainingError(SynthganError, RuntimeError):
    """Training diverged (NaN or infinite loss) or could not proceed."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped at a step boundary on SIGINT or SIGTERM (after the callbacks' ``on_interrupt``:
    a checkpoint callback has written its file). ``signum`` is the signal; a KeyboardInterrupt, so a
    plain Ctrl-C handler catches it."""

    def __init__(self, signum: int, checkpoint=None) -> None:
        super().__init__(signum)
        self.signum, self.checkpoint = signum, checkpoint


class OutputError(SynthganError, OSError):
    """An output path cannot be written (missing folder, no permission, is a folder...)."""


class PolicyError(SynthganError, ValueError):
    """A gate policy file is malformed or names unknown keys."""


class GateFailedError(SynthganError):
    """The gate refused a synthetic set; carries the decision (the CLI exits with code 3)."""

    def __init__(self, message: str, decision=None) -> None:
        super().__init__(message)
        self.decision = decision


class ConstraintError(SynthganError, ValueError):
    """Declared constraints cannot be met: too few generated rows obey them, or conditions contradict them."""


class ConditionError(SynthganError, ValueError):
    """A sampling condition names an unknown column or value, or cannot be met."""


def check_choice(name: str, value: object, accepted: list | tuple) -> None:
    """Raise ``InvalidParameterError`` naming ``name`` and the accepted values unless ``value`` is one."""
    if value not in accepted:
        raise InvalidParameterError(f"{name}={value!r} is not accepted; use one of {list(accepted)}")


def __getattr__(name: str):
    """``NotFittedError`` is built on first use: it also derives from scikit-learn's, and importing
    scikit-learn here would make every ``synthgan`` command (``--help`` too) wait for it."""
    if name == "NotFittedError":
        from sklearn.exceptions import NotFittedError as _SklearnNotFitted

        class NotFittedError(SynthganError, _SklearnNotFitted):
            """A model or transformer was used before ``fit``."""

        NotFittedError.__module__ = __name__
        NotFittedError.__qualname__ = "NotFittedError"  # picklable (joblib workers return exceptions)
        globals()[name] = NotFittedError
        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
