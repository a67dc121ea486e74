"""Parsing helpers and defaults shared by the commands' options."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Iterator, Literal

import typer

from synthgan.exceptions import GateFailedError, InvalidParameterError, OutputError

#: Where ``synthgan fit`` writes and ``synthgan sample`` reads a model when no -o/-m is given.
DEFAULT_MODEL = Path("model.synthgan")
#: Where ``synthgan sample`` writes when no -o is given.
DEFAULT_OUTPUT = Path("synthetic.parquet")
#: The choices of the typed options (Typer shows them in --help and refuses anything else).
ModelName = Literal["ctgan", "wgan", "ctgan-classic", "wgan-classic", "imagegan"]
Device = Literal["auto", "cpu", "cuda"]
Precision = Literal["auto", "float32", "bfloat16"]
OutputFormat = Literal["parquet", "png"]


def parse_columns(value: str | None, option: str) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; empty names are refused with a message naming the option."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")]
    if not names or any(not n for n in names):
        raise InvalidParameterError(
            f"{option} {value!r}: give comma-separated column names, e.g. {option} sex,ward"
        )
    return names


def parse_shares(value: str, option: str) -> dict[str, float]:
    """``"diagnosis=0.5,ward=0.2"`` -> ``{"diagnosis": 0.5, "ward": 0.2}``."""
    out = {}
    for item in value.split(","):
        column, sep, share = item.partition("=")
        try:
            out[column.strip()] = float(share)
        except ValueError:
            sep = ""
        if not sep or not column.strip():
            raise InvalidParameterError(
                f"{option} {value!r}: use COLUMN=SHARE[,COLUMN=SHARE], e.g. {option} diagnosis=0.5"
            )
    return out


def parse_conditions(values: list[str] | None) -> dict[str, str] | None:
    """``["sex=F", "ward=A"]`` -> ``{"sex": "F", "ward": "A"}``; values are matched to levels as text."""
    if not values:
        return None
    out = {}
    for item in values:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise InvalidParameterError(
                f"--condition {item!r}: use COLUMN=VALUE, e.g. --condition sex=Female"
            )
        out[column.strip()] = value
    return out


#: The ``--force`` option every command that writes files has.
FORCE_HELP = "Overwrite output files that exist (without it, an existing output is refused)."


def force_option() -> typer.models.OptionInfo:
    return typer.Option("--force", help=FORCE_HELP)


def claim_outputs(*paths: Path | None, force: bool, inputs: tuple = ()) -> None:
    """Refuse, before any work, to overwrite an existing output unless ``--force`` was given, and always
    refuse an output that is one of the command's ``inputs`` (a refused run would remove it)."""
    for path in paths:
        if path is None or not Path(path).exists():
            continue
        for source in inputs:
            if (
                source is not None
                and Path(source).exists()
                and Path(path).resolve() == Path(source).resolve()
            ):
                raise OutputError(f"{path} is also an input of this command; write the output elsewhere")
        if Path(path).is_file() and not force:
            raise OutputError(f"{path} exists; pass --force to overwrite it")


@contextlib.contextmanager
def replaced_on_refusal(path: Path) -> Iterator[None]:
    """When the gate refuses a run that was to overwrite ``path`` (with ``--force``), the earlier output is
    removed: a refused run must not leave a file that looks like its result beside its refusal report."""
    existed = Path(path).is_file()
    try:
        yield
    except GateFailedError:
        if existed:
            with contextlib.suppress(OSError):
                Path(path).unlink()
        raise


#: The ``--json`` flag of the commands that release rows: one JSON summary on stdout, for CI steps.
JSON_HELP = "Print one JSON summary on stdout (output, rows, gate decision, report) instead of text lines."


def json_option() -> typer.models.OptionInfo:
    return typer.Option("--json", help=JSON_HELP)


def summary(command: str, output, rows, decision, report_path, exit_code: int = 0, **extra) -> dict:
    """What a CI step needs from a release: where, how many, and the gate's verdict with every check."""
    return {
        "command": command,
        "exit_code": exit_code,
        "output": None if output is None else str(output),
        "rows": rows,
        "gate": None if decision is None else decision.to_dict(),
        "report": None if report_path is None else str(report_path),
        **extra,
    }


def emit(data: dict) -> None:
    typer.echo(json.dumps(data, default=str))


@contextlib.contextmanager
def summarised_refusal(enabled: bool, command: str, out: Path) -> Iterator[None]:
    """With ``--json``, a gate refusal also prints its summary (exit code 3, nothing written) on stdout."""
    try:
        yield
    except GateFailedError as exc:
        if enabled:
            from synthgan.workflow.release import report_path_for

            report = report_path_for(out)
            emit(summary(command, None, 0, exc.decision, report if report.exists() else None, exit_code=3))
        raise
