"""``synthgan export``: the same gate for a synthetic table made by any generator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._errors import handle_errors
from ._options import (
    claim_outputs,
    emit,
    force_option,
    json_option,
    replaced_on_refusal,
    summarised_refusal,
    summary,
)


@handle_errors
def export_command(
    synthetic: Annotated[
        Path,
        typer.Argument(metavar="SYNTHETIC", help="Synthetic table (CSV/TSV/Parquet).", show_default=False),
    ],
    real: Annotated[
        Path, typer.Option("--real", help="The real rows the generator learned from.", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Output file (.parquet, or .csv).", show_default=False)
    ],
    holdout: Annotated[
        Optional[Path], typer.Option("--holdout", help="Real rows kept out of training (privacy baseline).")
    ] = None,
    policy: Annotated[
        Optional[Path], typer.Option("--policy", help="Gate policy TOML (default: the built-in policy).")
    ] = None,
    force: Annotated[bool, force_option()] = False,
    as_json: Annotated[bool, json_option()] = False,
) -> None:
    """Gate SYNTHETIC against the real data and write it to OUT only if it passes.

    \b
    Example: synthgan export other_tool.csv --real train.csv --holdout holdout.csv -o release.parquet
    """
    from synthgan.gate import Policy
    from synthgan.io.tabular import load_table
    from synthgan.workflow.holdout import sha256_of
    from synthgan.workflow.release import export_table

    claim_outputs(out, force=force, inputs=(synthetic, real, holdout, policy))
    rules = Policy.from_file(policy) if policy is not None else Policy.default()
    table = load_table(synthetic, label="the synthetic table")
    train = load_table(real)
    held = load_table(holdout) if holdout is not None else None
    provenance = {"source_file": synthetic.name, "source_sha256": sha256_of(synthetic)}
    with summarised_refusal(as_json, "export", out), replaced_on_refusal(out):
        result = export_table(table, out, train=train, holdout=held, policy=rules, provenance=provenance)
    if as_json:
        return emit(summary("export", result.path, len(table), result.decision, result.report_path))
    for check in result.decision.checks:
        typer.echo(f"  {check.line()}")
    typer.echo(f"{len(table)} rows written to {result.path} (gate passed; report: {result.report_path})")
