"""``synthgan sample``: generate rows and export them only if the gate passes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.defaults import DEFAULT_MAX_IMAGES

from ._errors import handle_errors
from ._options import (
    DEFAULT_MODEL,
    DEFAULT_OUTPUT,
    Device,
    OutputFormat,
    claim_outputs,
    emit,
    force_option,
    json_option,
    parse_conditions,
    replaced_on_refusal,
    summarised_refusal,
    summary,
)


@handle_errors
def sample_command(
    n: Annotated[int, typer.Option("-n", "--rows", help="Number of synthetic rows.", show_default=False)],
    model_path: Annotated[
        Path, typer.Option("-m", "--model", help="Model file from `synthgan fit`.")
    ] = DEFAULT_MODEL,
    out: Annotated[
        Path,
        typer.Option(
            "-o", "--out", help="Output file (.parquet, or .csv); for images with --format png, a new folder."
        ),
    ] = DEFAULT_OUTPUT,
    condition: Annotated[
        Optional[list[str]],
        typer.Option("--condition", help="COLUMN=VALUE on a categorical column; repeatable."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for sampling.")] = 0,
    real: Annotated[
        Optional[Path], typer.Option("--real", help="The training file, if it moved since fit.")
    ] = None,
    policy: Annotated[
        Optional[Path], typer.Option("--policy", help="Gate policy TOML (default: the built-in policy).")
    ] = None,
    no_gate: Annotated[
        bool, typer.Option("--no-gate", help="Skip the gate (recorded in the output's metadata).")
    ] = False,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="Images only: parquet (PNG bytes + label columns) or png (one sub-folder per class).",
        ),
    ] = "parquet",
    features: Annotated[
        Optional[Path],
        typer.Option(
            "--features",
            help="Images only: TorchScript feature extractor for FID/KID (default: InceptionV3).",
        ),
    ] = None,
    eval_images: Annotated[
        int, typer.Option("--eval-images", help="Images only: how many images per side the gate evaluates.")
    ] = DEFAULT_MAX_IMAGES,
    device: Annotated[Device, typer.Option("--device", help="Where to generate.")] = "auto",
    html: Annotated[
        Optional[Path],
        typer.Option(
            "--html", help="Tables: also write the HTML report (verdict, checks, plots, losses) here."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Less output.")] = False,
    as_json: Annotated[bool, json_option()] = False,
    force: Annotated[bool, force_option()] = False,
) -> None:
    """Sample N rows, evaluate them against the real train/holdout rows, and write them if the gate passes.

    \b
    Example: synthgan sample -n 10000 --condition diagnosis=rare -o rare.parquet
    Images:  synthgan sample -n 200 --condition label=7 -o sevens/ --format png
    """
    from synthgan._device import resolve_device
    from synthgan.gate import Policy
    from synthgan.io.images import load_images
    from synthgan.io.tabular import load_table
    from synthgan.synthesizers import ImageGAN, load_model
    from synthgan.workflow.holdout import check_holdout, locate_training_file, sha256_of, split_holdout

    if n < 1:
        raise typer.BadParameter(f"{n} is not a positive number of rows", param_hint="-n")
    model = load_model(model_path, device=resolve_device(device).type)
    images = isinstance(model, ImageGAN)
    if images and fmt == "png" and out == DEFAULT_OUTPUT:
        out = Path("synthetic_images")
    claim_outputs(out, html, force=force, inputs=(model_path, real, policy))
    rules = (
        None
        if no_gate
        else (
            Policy.from_file(policy) if policy is not None else Policy.default("image" if images else "table")
        )
    )
    record = model.metadata_.get("training_data")
    train = holdout = None
    if rules is not None:
        source = locate_training_file(record, real)
        window = (record or {}).get("dicom_window")
        data = (
            load_images(
                source, image_size=model.image_size_, window=None if window is None else tuple(window)
            )
            if images
            else load_table(source)
        )
        train, holdout = (
            split_holdout(
                data, record["holdout_fraction"], record["holdout_seed"], record.get("holdout_stratify")
            )
            if record
            else (data, None)
        )
        check_holdout(record, holdout)
    provenance = {"model_sha256": sha256_of(model_path), "model_file": model_path.name}
    common = dict(
        train=train,
        holdout=holdout,
        policy=rules,
        conditions=parse_conditions(condition),
        seed=seed,
        provenance=provenance,
    )
    with summarised_refusal(as_json, "sample", out), replaced_on_refusal(out):
        result = _release(model, images, n, out, common, fmt, features, eval_images, html)
    if as_json:
        return emit(summary("sample", result.path, n, result.decision, result.report_path))
    if result.decision is not None and not quiet:
        for check in result.decision.checks:
            typer.echo(f"  {check.line()}")
    gate = "gate passed" if result.decision is not None else "gate skipped (--no-gate)"
    report = f"; report: {result.report_path}" if result.report_path else ""
    typer.echo(f"{n} {'images' if images else 'rows'} written to {result.path} ({gate}{report})")


def _release(
    model, images: bool, n: int, out: Path, common: dict, fmt: str, features, eval_images: int, html=None
):
    from synthgan.workflow.images import release_images
    from synthgan.workflow.release import release_samples

    if images and html is not None:
        raise typer.BadParameter("the HTML report is for tables; image reports are JSON", param_hint="--html")
    if images:
        return release_images(
            model,
            n,
            out,
            **common,
            fmt=fmt,
            extractor=None if features is None else str(features),
            max_images=eval_images,
        )
    if fmt != "parquet" or features is not None:
        raise typer.BadParameter(
            "--format and --features apply to image models only; tables are written by their suffix",
            param_hint="--format",
        )
    if html is not None and common["policy"] is None:
        raise typer.BadParameter(
            "the HTML report shows the gate's evaluation; drop --no-gate", param_hint="--html"
        )
    return release_samples(model, n, out, **common, html=html)
