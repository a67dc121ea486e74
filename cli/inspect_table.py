"""``synthgan inspect``: show the schema synthgan infers for a table, and optionally save it as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._errors import handle_errors
from ._options import claim_outputs, force_option, parse_columns


@handle_errors
def inspect_command(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="CSV, TSV or Parquet file.", show_default=False)
    ],
    discrete: Annotated[
        Optional[str], typer.Option("--discrete", help="Comma-separated columns to treat as categorical.")
    ] = None,
    schema: Annotated[
        Optional[Path], typer.Option("--schema", help="JSON schema file overriding inferred kinds.")
    ] = None,
    json_out: Annotated[
        Optional[Path], typer.Option("--json", help="Write the inferred schema to this JSON file.")
    ] = None,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest-constraints",
            help="List rules every row obeys that chance would hardly give; with --json they are written "
            "into the schema as declared constraints (delete those you do not want).",
        ),
    ] = False,
    force: Annotated[bool, force_option()] = False,
) -> None:
    """Show each column's inferred kind, dtype, missing count and number of levels.

    \b
    Example: synthgan inspect patients.csv --suggest-constraints --json schema.json
    """
    from synthgan.io.atomic import atomic_write_text
    from synthgan.io.tabular import load_table
    from synthgan.schema import Schema

    claim_outputs(json_out, force=force, inputs=(data,))
    frame = load_table(data)
    inferred = Schema.infer(frame, discrete_columns=parse_columns(discrete, "--discrete"), declared=schema)
    width = max(len(c.name) for c in inferred.columns)
    typer.echo(f"{'column':<{width}}  {'kind':<11}  {'dtype':<16}  {'missing':>7}  {'levels':>6}")
    for spec in inferred.columns:
        col = frame[spec.name]
        typer.echo(
            f"{spec.name:<{width}}  {spec.kind:<11}  {spec.dtype:<16}  {int(col.isna().sum()):>7}  "
            f"{col.nunique():>6}"
        )
    typer.echo(f"{len(frame)} rows x {frame.shape[1]} columns")
    if suggest:
        from synthgan.constraints import suggest_constraints

        declared = {r.describe() for r in inferred.constraints}
        found = [r for r in suggest_constraints(frame, inferred) if r.describe() not in declared]
        typer.echo(f"{len(found)} suggested constraints (each holds on every row; unlikely by chance):")
        for rule in found:
            typer.echo(f"  {rule.describe()}")
        inferred = inferred.with_constraints(found)
    if json_out is not None:
        atomic_write_text(json_out, inferred.to_json() + "\n")
        typer.echo(f"schema written to {json_out}")
