"""``synthgan fit``: learn a table, keeping a seeded holdout out of training for the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.io.atomic import check_writable
from synthgan.io.tabular import load_table
from synthgan.synthesizers import REGISTRY
from synthgan.workflow.holdout import DEFAULT_HOLDOUT, provenance, split_holdout

from ._errors import handle_errors
from ._options import DEFAULT_MODEL, parse_columns


@handle_errors
def fit_command(
    data: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file to learn.", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model file to write.")] = DEFAULT_MODEL,
    model: Annotated[str, typer.Option("--model", help="ctgan (conditional) or wgan.")] = "ctgan",
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 300,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per step (a multiple of 10).")] = 500,
    discrete: Annotated[Optional[str], typer.Option("--discrete", help="Comma-separated columns to treat as categorical.")] = None,
    holdout: Annotated[float, typer.Option("--holdout", help="Share of rows kept out of training as the privacy baseline; 0 = none.")] = DEFAULT_HOLDOUT,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (training and holdout split).")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    max_time: Annotated[Optional[float], typer.Option("--max-time", help="Stop after the epoch that passes this many seconds.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Fit a GAN on DATA and write a model file (weights + JSON; no rows of the data).

    Example: synthgan fit patients.csv --epochs 300 --discrete ward,sex   (then: synthgan sample -n 10000)
    """
    if model not in REGISTRY:
        raise typer.BadParameter(f"{model!r} is not a model; use one of {sorted(REGISTRY)}", param_hint="--model")
    check_writable(out)
    frame = load_table(data)
    train, held = split_holdout(frame, holdout, seed)
    estimator = REGISTRY[model](epochs=epochs, batch_size=batch_size, device=device, max_time=max_time, random_state=seed, verbose=not quiet)
    estimator.fit(train, discrete_columns=parse_columns(discrete, "--discrete"))
    record = provenance(data, holdout, seed, len(frame))
    estimator.save(out, metadata={"training_data": record, "model": model})
    kept = 0 if held is None else len(held)
    typer.echo(f"model written to {out} ({len(train)} training rows; {kept} held out for the gate; {len(estimator.loss_values_)} epochs)")
