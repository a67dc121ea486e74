"""The Typer application behind the ``synthgan`` console script; one module per command."""

from __future__ import annotations

import typer

from synthgan._version import __version__

from .demo import demo_command
from .evaluate import evaluate_command
from .export import export_command
from .fit import fit_command
from .inspect_table import inspect_command
from .sample import sample_command

app = typer.Typer(
    name="synthgan",
    help="Synthetic tabular and medical data you can trust: learn, sample, evaluate, gate, export.",
    no_args_is_help=True,
    add_completion=False,
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
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """synthgan: fit a GAN on a table, sample synthetic rows, and export them only after a privacy gate."""
    ctx.obj = {"debug": debug}


app.command("fit")(fit_command)
app.command("sample")(sample_command)
app.command("export")(export_command)
app.command("inspect")(inspect_command)
app.command("evaluate")(evaluate_command)
app.command("demo")(demo_command)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="synthgan")
