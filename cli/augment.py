"""``synthgan augment``: fit, generate (class-balancing or N rows), gate and export in one CI step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.defaults import DEFAULT_HOLDOUT

from ._errors import handle_errors
from ._options import (
    claim_outputs,
    emit,
    force_option,
    json_option,
    parse_columns,
    replaced_on_refusal,
    summarised_refusal,
    summary,
)


@handle_errors
def augment_command(
    data: Annotated[
        Path, typer.Argument(metavar="DATA", help="CSV, TSV or Parquet file to augment.", show_default=False)
    ],
    target: Annotated[
        str, typer.Option("--target", help="The class column (learned as a category).", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option("-o", "--out", help="Output file (.parquet or .csv); the JSON report goes beside it."),
    ] = Path("augmented.parquet"),
    balance: Annotated[
        bool,
        typer.Option("--balance", help="Generate rows of every class but the largest until all match it."),
    ] = False,
    n: Annotated[
        Optional[int],
        typer.Option("-n", "--rows", help="Generate N rows (class mix as in the data) instead of balancing."),
    ] = None,
    include_real: Annotated[
        bool, typer.Option("--include-real", help="Write the real rows first, then the synthetic ones.")
    ] = False,
    per_class: Annotated[
        bool,
        typer.Option(
            "--per-class",
            help="With --balance: a model per class to grow, on that class's rows alone "
            "(give it more epochs).",
        ),
    ] = False,
    realism_filter: Annotated[
        Optional[float],
        typer.Option(
            "--realism-filter",
            help="With --balance: generate F times the rows and keep the most realistic (F >= 1).",
        ),
    ] = None,
    policy: Annotated[
        Optional[Path], typer.Option("--policy", help="Gate policy TOML (default: the built-in policy).")
    ] = None,
    no_gate: Annotated[
        bool, typer.Option("--no-gate", help="Skip the gate (recorded in the output's metadata).")
    ] = False,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 300,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per step (a multiple of 10).")] = 500,
    discrete: Annotated[
        Optional[str], typer.Option("--discrete", help="Comma-separated columns to treat as categorical.")
    ] = None,
    holdout: Annotated[
        float, typer.Option("--holdout", help="Share of rows kept out of training as the gate's baseline.")
    ] = DEFAULT_HOLDOUT,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (split, training, sampling).")] = 0,
    max_time: Annotated[
        Optional[float],
        typer.Option("--max-time", help="Stop training after the epoch that passes this many seconds."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="No progress bar, no per-check lines.")
    ] = False,
    force: Annotated[bool, force_option()] = False,
    as_json: Annotated[bool, json_option()] = False,
) -> None:
    """Augment DATA with gated synthetic rows; exit 0 when written, 3 when the gate refuses, 1 on bad input.

    \b
    Example: synthgan augment visits.csv --target readmitted --balance --include-real \\
                 -o train_augmented.parquet
    """
    from synthgan.gate import Policy
    from synthgan.io.export import read_metadata
    from synthgan.io.tabular import load_table
    from synthgan.synthesizers import CTGAN
    from synthgan.workflow.augment import AugmentPlan, augment_table
    from synthgan.workflow.holdout import provenance

    if n is not None and n < 1:
        raise typer.BadParameter(f"{n} is not a positive number of rows", param_hint="-n")
    claim_outputs(out, force=force, inputs=(data, policy))
    rules = None if no_gate else (Policy.from_file(policy) if policy is not None else Policy.default())
    plan = AugmentPlan(
        target=target,
        balance=balance,
        rows=n,
        include_real=include_real,
        per_class=per_class,
        realism_filter=realism_filter,
    )
    model = CTGAN(
        epochs=epochs, batch_size=batch_size, random_state=seed, max_time=max_time, verbose=not quiet
    )
    frame = load_table(data)
    record = {"training_data": provenance(data, holdout, seed, len(frame))}
    with summarised_refusal(as_json, "augment", out), replaced_on_refusal(out):
        result = augment_table(
            frame,
            plan,
            out,
            model=model,
            policy=rules,
            holdout=holdout,
            seed=seed,
            discrete=parse_columns(discrete, "--discrete"),
            provenance=record,
        )
    written = read_metadata(result.path) if result.path.suffix.lower() != ".csv" else {}
    if as_json:
        rows = {k: written.get(k) for k in ("synthetic_rows", "real_rows")}
        total = None if None in rows.values() else sum(rows.values())
        return emit(summary("augment", result.path, total, result.decision, result.report_path, **rows))
    if result.decision is not None and not quiet:
        for check in result.decision.checks:
            typer.echo(f"  {check.line()}")
    gate = "gate passed" if result.decision is not None else "gate skipped (--no-gate)"
    report = f"; report: {result.report_path}" if result.report_path else ""
    counts = (
        f"{written['synthetic_rows']} synthetic + {written['real_rows']} real rows" if written else "rows"
    )
    typer.echo(f"{counts} written to {result.path} ({gate}{report})")
