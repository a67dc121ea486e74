"""The Typer application behind the ``synthgan`` console script; one module per command."""

from __future__ import annotations

import sys
import warnings

import typer

try:  # recent typer vendors click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - typer on top of click
    from click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup

from synthgan._version import __version__

from .augment import augment_command
from .demo import demo_command
from .evaluate import evaluate_command
from .export import export_command
from .fit import fit_command
from .inspect_table import inspect_command
from .sample import sample_command


class OneLineErrors(TyperGroup):
    """Usage errors (bad option values, missing arguments) as one ``error: ...`` line on stderr with exit
    code 2, instead of a framed box: CI logs stay greppable and every failure reads the same way."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _one_line_warning
                code = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            typer.echo(f"error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as ``warning: ...`` lines on stderr, without the source line they came from."""
    typer.echo(f"warning: {message}", err=True)


app = typer.Typer(
    cls=OneLineErrors,
    name="synthgan",
    help="Synthetic tabular and medical data you can trust: learn, sample, evaluate, gate, export.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain, conventional help: flags without a value metavar, no boxes
    pretty_exceptions_show_locals=False,  # locals could hold patient data
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synthgan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """synthgan: fit a GAN on a table, sample synthetic rows, and export them only after a privacy gate."""
    ctx.obj = {"debug": debug}


app.command("fit")(fit_command)
app.command("sample")(sample_command)
app.command("export")(export_command)
app.command("inspect")(inspect_command)
app.command("evaluate")(evaluate_command)
app.command("augment")(augment_command)
app.command("demo")(demo_command)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="synthgan")
