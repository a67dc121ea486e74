"""``synthgan fit``: learn a table, keeping a seeded holdout out of training for the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.io.atomic import check_writable
from synthgan.io.images import load_images
from synthgan.io.tabular import load_table
from synthgan.synthesizers import REGISTRY
from synthgan.workflow.holdout import DEFAULT_HOLDOUT, provenance, split_holdout

from ._errors import handle_errors
from ._options import DEFAULT_MODEL, parse_columns


@handle_errors
def fit_command(
    data: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file, or a folder of images (one sub-folder per class).", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model file to write.")] = DEFAULT_MODEL,
    model: Annotated[Optional[str], typer.Option("--model", help="ctgan (conditional) or wgan for tables; imagegan for image folders.", show_default="ctgan, or imagegan for a folder")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", help="Training epochs.", show_default="300 for tables, 100 for images")] = None,
    batch_size: Annotated[Optional[int], typer.Option("--batch-size", help="Rows (a multiple of 10) or images per step.", show_default="500 for tables, 64 for images")] = None,
    image_size: Annotated[Optional[int], typer.Option("--image-size", help="Square side images are resized to (multiple of 4, 8-64).", show_default="from the data")] = None,
    discrete: Annotated[Optional[str], typer.Option("--discrete", help="Comma-separated columns to treat as categorical.")] = None,
    schema: Annotated[Optional[Path], typer.Option("--schema", help="JSON file declaring column kinds ({\"column\": \"kind\"} or a full schema from `synthgan inspect --json`).")] = None,
    holdout: Annotated[float, typer.Option("--holdout", help="Share of rows kept out of training as the privacy baseline; 0 = none.")] = DEFAULT_HOLDOUT,
    stratify: Annotated[Optional[str], typer.Option("--stratify", help="Comma-separated columns (target, conditions) whose level mix the holdout keeps.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (training and holdout split).")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    max_time: Annotated[Optional[float], typer.Option("--max-time", help="Stop after the epoch that passes this many seconds.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Fit a GAN on DATA (a table or an image folder) and write a model file (weights + JSON; no rows of the data).

    Example: synthgan fit patients.csv --epochs 300 --discrete ward,sex   (then: synthgan sample -n 10000)
    Images:  synthgan fit xrays/ --image-size 32   (one sub-folder per class)
    """
    images = data.is_dir()
    model = model or ("imagegan" if images else "ctgan")
    if model not in REGISTRY:
        raise typer.BadParameter(f"{model!r} is not a model; use one of {sorted(REGISTRY)}", param_hint="--model")
    if images != (model == "imagegan"):
        raise typer.BadParameter(f"{model} learns {'image folders' if model == 'imagegan' else 'tables'}, and {data} is not one", param_hint="--model")
    if image_size is not None and not images:
        raise typer.BadParameter("only applies to image folders", param_hint="--image-size")
    check_writable(out)
    source = load_images(data, image_size=image_size) if images else load_table(data)
    strata = parse_columns(stratify, "--stratify")
    if strata and images:
        raise typer.BadParameter("applies to tables only", param_hint="--stratify")
    train, held = split_holdout(source, holdout, seed, strata)
    settings = {k: v for k, v in {"epochs": epochs, "batch_size": batch_size}.items() if v is not None}
    estimator = REGISTRY[model](**settings, device=device, max_time=max_time, random_state=seed, verbose=not quiet)
    if images:
        estimator.fit(train)
    else:
        estimator.fit(train, discrete_columns=parse_columns(discrete, "--discrete"), schema=None if schema is None else str(schema))
    record = provenance(data, holdout, seed, len(source), holdout=held, stratify=strata)
    estimator.save(out, metadata={"training_data": record, "model": model})
    kept = 0 if held is None else len(held)
    unit = "images" if images else "rows"
    typer.echo(f"model written to {out} ({len(train)} training {unit}; {kept} held out for the gate; {len(estimator.loss_values_)} epochs)")
