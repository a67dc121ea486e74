"""Map synthgan's typed errors to one line on stderr and an exit code; never a traceback unless --debug.

Exit codes: 0 success, 1 bad input or runtime error, 2 usage error (Typer/Click), 3 gate refused.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable, TypeVar

import typer

from synthgan.exceptions import GateFailedError, SynthganError

F = TypeVar("F", bound=Callable)
EXIT_ERROR = 1
EXIT_GATE = 3


def debug_enabled() -> bool:
    """True when the command line asked for full tracebacks (``synthgan --debug ...``)."""
    return "--debug" in sys.argv[1:]


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Decorator for commands: typed errors and OS errors become one stderr line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GateFailedError as exc:
            typer.echo(f"gate: refused - {exc}", err=True)
            for check in exc.decision.failed if exc.decision is not None else ():
                typer.echo(f"  {check.line()}", err=True)
            raise typer.Exit(EXIT_GATE) from None
        except SynthganError as exc:
            if debug_enabled():
                raise
            raise fail(str(exc)) from None
        except OSError as exc:
            if debug_enabled():
                raise
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            raise fail(f"{where}{exc.strerror or exc}") from None
        except MemoryError:
            raise fail("ran out of memory; try a smaller table, fewer rows or a smaller batch size") from None

    return wrapper  # type: ignore[return-value]
