"""``synthgan demo``: the whole flow on the UCI Heart Disease table shipped inside the package."""

from __future__ import annotations

import time

import numpy as np
import typer

from synthgan.data import heart_disease_path, load_heart_disease
from synthgan.schema import Schema
from synthgan.transform import TableTransformer

from ._errors import handle_errors


@handle_errors
def demo_command(seed: int = typer.Option(0, "--seed", help="Random seed.")) -> None:
    """Run synthgan end to end on the shipped heart-disease data (303 patients, CC BY 4.0).

    Example: synthgan demo
    """
    frame = load_heart_disease()
    typer.echo(f"data: {heart_disease_path().name} ({len(frame)} rows x {frame.shape[1]} columns, UCI, CC BY 4.0)")
    schema = Schema.infer(frame)
    kinds = {}
    for spec in schema.columns:
        kinds.setdefault(spec.kind, []).append(spec.name)
    for kind, names in kinds.items():
        typer.echo(f"  {kind:<11} {', '.join(names)}")
    start = time.perf_counter()
    transformer = TableTransformer().fit(frame, schema, random_state=seed)
    encoded = transformer.transform(frame, random_state=seed)
    restored = transformer.inverse_transform(encoded.dense())
    elapsed = time.perf_counter() - start
    typer.echo(f"transformer: {encoded.layout.width} encoded features, fit + round trip in {elapsed:.2f} s")
    same_dtypes = bool((restored.dtypes == frame.dtypes).all())
    same_missing = bool((restored.isna() == frame.isna()).all().all())
    worst = max(
        float(np.nanmax(np.abs(restored[c].astype(float) - frame[c].astype(float))))
        for c in frame.columns
    )
    typer.echo(f"round trip: dtypes identical={same_dtypes}, missing cells identical={same_missing}, largest error={worst:g}")
    if not (same_dtypes and same_missing and worst < 1e-9):
        raise typer.Exit(1)
