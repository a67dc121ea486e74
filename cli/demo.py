"""``synthgan demo``: the whole flow on the UCI Heart Disease table shipped inside the package:
holdout split, fit, sample, evaluate, gate, and an atomic Parquet file with provenance."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._errors import handle_errors
from ._options import FORCE_HELP, claim_outputs, replaced_on_refusal


@handle_errors
def demo_command(
    out: Path = typer.Option(
        Path("synthetic_heart.parquet"), "-o", "--out", help="Where to write the synthetic rows."
    ),
    rows: int = typer.Option(1000, "-n", "--rows", min=1, help="Synthetic rows to write."),
    epochs: int = typer.Option(
        None, "--epochs", min=1, help="Training epochs (default: the library's budget for the table's size)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Fit, sample, evaluate, gate and export the shipped heart-disease data (303 patients, UCI, CC BY 4.0).

    \b
    Example: synthgan demo -o /tmp/heart.parquet
    """
    from synthgan.data import heart_disease_path, load_heart_disease
    from synthgan.gate import Policy
    from synthgan.schema import Schema
    from synthgan.synthesizers import CTGAN
    from synthgan.workflow.holdout import provenance, split_holdout
    from synthgan.workflow.release import release_samples

    claim_outputs(out, force=force)
    frame = load_heart_disease()
    typer.echo(
        f"data: {heart_disease_path().name} ({len(frame)} rows x {frame.shape[1]} columns, UCI, CC BY 4.0)"
    )
    schema = Schema.infer(frame)
    for kind in dict.fromkeys(c.kind for c in schema.columns):
        typer.echo(f"  {kind:<11} {', '.join(c.name for c in schema.of_kind(kind))}")
    train, holdout = split_holdout(frame, 0.2, seed)
    typer.echo(f"holdout: {len(holdout)} rows kept out of training as the privacy baseline")
    start = time.perf_counter()
    model = CTGAN(epochs=epochs, random_state=seed, verbose=not quiet).fit(train, schema=schema)
    typer.echo(f"CTGAN: {len(model.loss_values_)} epochs in {time.perf_counter() - start:.1f} s")
    record = {"training_data": provenance(heart_disease_path(), 0.2, seed, len(frame), holdout=holdout)}
    with replaced_on_refusal(out):
        result = release_samples(
            model,
            rows,
            out,
            train=train,
            holdout=holdout,
            policy=Policy.default(),
            seed=seed,
            provenance=record,
        )
    typer.echo("evaluation and gate (synthetic vs a fresh real sample):")
    for check in result.decision.checks:
        reference = result.report.get("reference." + check.metric, None)
        ref = f"  [real holdout: {reference:.4f}]" if isinstance(reference, float) else ""
        typer.echo(f"  {check.line()}{ref}")
    women = model.sample(100, conditions={"sex": 0}, random_state=seed)
    typer.echo(
        f"conditional sampling: 100 rows asked with sex=0 -> {int((women['sex'] == 0).sum())} have sex=0"
    )
    typer.echo(f"{rows} synthetic rows written to {result.path}; report: {result.report_path}")
