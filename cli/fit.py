"""``synthgan fit``: learn a table, keeping a seeded holdout out of training for the gate; resume from a
training checkpoint; checkpoints on a schedule and when the job is stopped (SIGINT / SIGTERM)."""

from __future__ import annotations

import re
import signal
import time
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.defaults import DEFAULT_HOLDOUT
from synthgan.exceptions import DataLoadError, InvalidParameterError, OutputError, TrainingInterrupted

from ._errors import fail, handle_errors
from ._options import (
    DEFAULT_MODEL,
    Device,
    ModelName,
    Precision,
    claim_outputs,
    force_option,
    parse_columns,
    parse_shares,
)


@handle_errors
def fit_command(
    data: Annotated[
        Path,
        typer.Argument(
            metavar="DATA",
            help="CSV, TSV or Parquet file, or a folder of images (one sub-folder per class).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model file to write.")] = DEFAULT_MODEL,
    model: Annotated[
        Optional[ModelName],
        typer.Option(
            "--model",
            help="ctgan (conditional) or wgan for tables (-classic: the paper's settings); imagegan.",
            show_default="ctgan, or imagegan for a folder",
        ),
    ] = None,
    epochs: Annotated[
        Optional[int],
        typer.Option(
            "--epochs",
            help="Training epochs in all (with --resume: the total to reach).",
            show_default="sized to the table; 100 for images",
        ),
    ] = None,
    steps: Annotated[
        Optional[int], typer.Option("--steps", help="Training steps in all, instead of --epochs (tables).")
    ] = None,
    batch_size: Annotated[
        Optional[int],
        typer.Option(
            "--batch-size",
            help="Rows (a multiple of 10, the critic's pack) or images per step.",
            show_default="sized to the table; 64 for images",
        ),
    ] = None,
    image_size: Annotated[
        Optional[int],
        typer.Option(
            "--image-size",
            help="Square side images are resized to (multiple of 4, 8-64).",
            show_default="from the data",
        ),
    ] = None,
    window: Annotated[
        Optional[str],
        typer.Option(
            "--window",
            help="DICOM: CENTRE,WIDTH of the grey-level window, e.g. 40,400 (default: each file's own).",
        ),
    ] = None,
    discrete: Annotated[
        Optional[str], typer.Option("--discrete", help="Comma-separated columns to treat as categorical.")
    ] = None,
    schema: Annotated[
        Optional[Path],
        typer.Option(
            "--schema",
            help='JSON file of column kinds ({"col": "kind"}, or a schema from `synthgan inspect --json`).',
        ),
    ] = None,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout", help="Share of rows kept out of training as the privacy baseline; 0 = none."
        ),
    ] = DEFAULT_HOLDOUT,
    stratify: Annotated[
        Optional[str],
        typer.Option(
            "--stratify",
            help="Comma-separated columns (target, conditions) whose level mix the holdout keeps.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (training and holdout split).")] = 0,
    ema: Annotated[
        Optional[float],
        typer.Option(
            "--ema",
            help="Decay of the moving average of the generator's weights that samples (0: off).",
            show_default="0.999 for tables",
        ),
    ] = None,
    validation: Annotated[
        Optional[float],
        typer.Option(
            "--validation",
            help="Share of training rows set aside to pick the best weights (tables), e.g. 0.1.",
        ),
    ] = None,
    patience: Annotated[
        Optional[int],
        typer.Option(
            "--patience", help="With --validation: stop after this many checks without improvement."
        ),
    ] = None,
    checkpoint_every: Annotated[
        Optional[str],
        typer.Option(
            "--checkpoint-every",
            help="Write MODEL.ckpt every N epochs ('10') or minutes ('5m'), and at the end (tables).",
        ),
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(
            "--resume",
            help="Continue the training checkpoint CKPT on the same data, up to --epochs / --steps in all.",
        ),
    ] = None,
    device: Annotated[Device, typer.Option("--device", help="Where to train.")] = "auto",
    precision: Annotated[
        Precision,
        typer.Option("--precision", help="Training arithmetic: auto (bfloat16 where the CPU/GPU has it)."),
    ] = "auto",
    condition_focus: Annotated[
        Optional[str],
        typer.Option(
            "--condition-focus",
            help="CTGAN: share of training steps conditioned on these columns, e.g. 'diagnosis=0.5'.",
        ),
    ] = None,
    pack_conditions: Annotated[
        Optional[bool],
        typer.Option(
            "--pack-conditions/--no-pack-conditions",
            help="CTGAN: each critic pack of rows shares one condition (closer conditional sampling). "
            "Default: on when a batch holds at least 20 packs (from 800 training rows at pac 10); "
            "off for ctgan-classic.",
            show_default=False,
        ),
    ] = None,
    condition_modes: Annotated[
        Optional[bool],
        typer.Option(
            "--condition-modes/--no-condition-modes",
            help="CTGAN: training conditions also pick numeric columns' modes (a high count, a tail), "
            "not only categorical levels. Default: off.",
            show_default=False,
        ),
    ] = None,
    max_time: Annotated[
        Optional[float],
        typer.Option("--max-time", help="Stop after the epoch that passes this many seconds."),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress output.")] = False,
    force: Annotated[bool, force_option()] = False,
) -> None:
    """Fit a GAN on DATA (a table or an image folder); write a model file (weights + JSON; no data rows).

    \b
    Example: synthgan fit patients.csv --discrete ward,sex   (then: synthgan sample -n 10000)
    Resume:  synthgan fit patients.csv --resume model.synthgan.ckpt --epochs 600
    Images:  synthgan fit xrays/ --image-size 32   (one sub-folder per class)
    """
    from synthgan.io.atomic import check_writable
    from synthgan.io.dicom import parse_window
    from synthgan.io.images import load_images
    from synthgan.io.tabular import load_table
    from synthgan.synthesizers import MODELS
    from synthgan.workflow.holdout import check_holdout, provenance, split_holdout

    images = data.is_dir()
    given_model = model
    model = model or ("imagegan" if images else "ctgan")
    if model not in MODELS:
        raise typer.BadParameter(
            f"{model!r} is not a model; use one of {sorted(MODELS)}", param_hint="--model"
        )
    if images != (model == "imagegan"):
        raise typer.BadParameter(
            f"{model} learns {'image folders' if model == 'imagegan' else 'tables'}, and {data} is not one",
            param_hint="--model",
        )
    if image_size is not None and not images:
        raise typer.BadParameter("only applies to image folders", param_hint="--image-size")
    if window is not None and not images:
        raise typer.BadParameter("only applies to DICOM image folders", param_hint="--window")
    dicom_window = parse_window(window)
    if images and (steps, validation, patience, checkpoint_every, resume) != (None,) * 5:
        raise typer.BadParameter(
            "--steps, --validation, --patience, --checkpoint-every and --resume apply to tables",
            param_hint="--model",
        )
    check_writable(out)
    checkpoint = Path(str(out) + ".ckpt")
    stale_checkpoint = resume is None and not images and checkpoint.is_file()
    if stale_checkpoint and not force:  # an earlier run's training state: continue it, or start over
        raise OutputError(
            f"{checkpoint} exists (an earlier run's training checkpoint); continue it with --resume "
            f"{checkpoint}, or pass --force to start over"
        )
    if resume is None:  # a resumed run writes the model file and checkpoint it was going to write
        claim_outputs(out, force=force, inputs=(data, schema))
    every = _schedule(checkpoint_every)
    strata = parse_columns(stratify, "--stratify")
    if strata and images:
        raise typer.BadParameter("applies to tables only", param_hint="--stratify")
    if pack_conditions is not None and images:
        raise typer.BadParameter("applies to tables only", param_hint="--pack-conditions")
    if condition_modes is not None and images:
        raise typer.BadParameter("applies to tables only", param_hint="--condition-modes")
    if resume is not None:  # the split the checkpoint was trained on, checked against its record
        estimator, record, model = _resumed(resume, given_model, data)
        holdout, seed, strata = (
            record["holdout_fraction"],
            record["holdout_seed"],
            record.get("holdout_stratify"),
        )
    else:
        # a budget in steps goes in at construction: a -classic model then drops the paper's epochs
        estimator = MODELS[model](random_state=seed, **({} if steps is None else {"steps": steps}))
    source = load_images(data, image_size=image_size, window=dicom_window) if images else load_table(data)
    if not images and schema is not None:  # declared rules hold on every real row, held-out ones too
        from synthgan.constraints.plan import check_rows
        from synthgan.schema import Schema

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            declared = Schema.infer(source, declared=str(schema))
            check_rows(source, declared.constraints, declared)
    train, held = split_holdout(source, holdout, seed, strata or None)
    if resume is not None:
        check_holdout(record, held)
    else:
        record = provenance(data, holdout, seed, len(source), holdout=held, stratify=strata)
        if dicom_window is not None:
            record["dicom_window"] = list(dicom_window)
    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "device": device,
        "precision": precision,
        "max_time": max_time,
        "verbose": not quiet,
    }
    if not images:
        settings.update(steps=steps, ema=ema, validation=validation, patience=patience)
        if condition_focus is not None:
            settings["condition_focus"] = parse_shares(condition_focus, "--condition-focus")
        if pack_conditions is not None:
            settings["pack_conditions"] = pack_conditions
        if condition_modes is not None:
            settings["condition_modes"] = condition_modes
        settings.update(callbacks=[_checkpoint_callback(checkpoint, every, record, model)])
    else:
        settings["ema"] = ema
    if resume is not None:  # the checkpoint's settings stay, but for what the command line gives
        trained = {
            **estimator.get_params(),
            "pack_conditions": estimator.pack_conditions_,
            "condition_modes": estimator.condition_modes_,
        }
        for name in ("ema", "validation", "pack_conditions", "condition_modes"):
            if settings.get(name) is not None and settings[name] != trained[name]:
                raise InvalidParameterError(
                    f"--{name.replace('_', '-')} {settings[name]} differs from the checkpoint's "
                    f"({trained[name]}); drop it"
                )
    # options not given keep the model's defaults; with --resume, --epochs / --steps always set the total
    budget = {"epochs": epochs, "steps": steps} if resume is not None and not images else {}
    settings = {**{k: v for k, v in settings.items() if v is not None}, **budget}
    estimator.set_params(**settings)
    if stale_checkpoint:  # --force: the earlier run's state goes once the options and files were read
        checkpoint.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        if images:
            estimator.fit(train)
        else:
            estimator.fit(
                train,
                discrete_columns=parse_columns(discrete, "--discrete"),
                schema=None if schema is None else str(schema),
            )
    except TrainingInterrupted as exc:
        name = signal.Signals(exc.signum).name
        raise fail(
            f"interrupted by {name}; checkpoint written to {checkpoint}; continue with: synthgan fit {data} "
            f"--resume {checkpoint} --epochs N",
            code=128 + exc.signum,
        ) from None
    seconds = time.perf_counter() - started
    estimator.save(out, metadata={"training_data": record, "model": model})
    kept = 0 if held is None else len(held)
    unit = "images" if images else "rows"
    trained = f"{len(estimator.loss_values_)} epochs"
    if not images:  # the budget the table got: steps of a batch size, and the time it took
        done_steps = int(estimator.loss_values_["step"].iloc[-1])
        trained += f" = {done_steps:,} steps of {estimator.batch_size_} rows"
        rule = estimator.budget_.describe()
        trained += f" ({rule})" if rule and resume is None else ""
    if resume is not None:
        trained, seconds_label = trained + " in all", "s this run"
    else:
        seconds_label = "s"
    typer.echo(
        f"model written to {out} ({len(train)} training {unit}; {kept} held out for the gate; "
        f"{trained}; {seconds:.0f} {seconds_label})"
    )


def _schedule(text: str | None) -> dict:
    """``--checkpoint-every``: "10" -> every 10 epochs, "5m" -> every 5 minutes."""
    if text is None:
        return {}
    match = re.fullmatch(r"\s*(\d+)\s*(m|min)?\s*", text)
    if not match or int(match.group(1)) < 1:
        raise InvalidParameterError(
            f"--checkpoint-every {text!r}: give a number of epochs (10) or minutes (5m)"
        )
    value = int(match.group(1))
    return (
        {"every_seconds": 60.0 * value, "at_end": True}
        if match.group(2)
        else {"every_epochs": value, "at_end": True}
    )


def _checkpoint_callback(path: Path, every: dict, record: dict, model: str):
    """Writes ``path`` on SIGINT / SIGTERM and on the schedule of ``--checkpoint-every``; remembers the data's
    provenance so a resumed run re-derives the same holdout."""
    from synthgan.training.callbacks import Checkpoint

    return Checkpoint(path, **every, metadata={"training_data": record, "model": model})


def _resumed(path: Path, model: str | None, data: Path):
    """The estimator of a checkpoint, its data record (after checking that ``data`` is the same file) and
    its model name (``--model`` when given must name the checkpoint's class)."""
    from synthgan.synthesizers import REGISTRY
    from synthgan.synthesizers.base import TabularGAN
    from synthgan.training.checkpoint import load_checkpoint
    from synthgan.workflow.holdout import sha256_of

    meta, _ = load_checkpoint(path)
    cls = REGISTRY.get(str(meta.get("class", "")).lower())
    if cls is None or not issubclass(cls, TabularGAN):
        raise InvalidParameterError(f"{path}: a checkpoint of {meta.get('class')!r} cannot be resumed here")
    if model is not None and cls is not REGISTRY[model.removesuffix("-classic")]:
        raise InvalidParameterError(
            f"--model {model} but the checkpoint holds a {meta['class']}; drop --model"
        )
    recorded = str((meta.get("metadata") or {}).get("model") or meta["class"].lower())
    record = dict((meta.get("metadata") or {}).get("training_data") or {})
    if "holdout_seed" not in record:
        raise InvalidParameterError(
            f"{path}: the checkpoint does not record its training file; resume it from Python"
        )
    if sha256_of(data) != record.get("sha256"):
        raise DataLoadError(
            f"{data} is not the file the checkpoint was trained on (sha256 differs); resume with that file"
        )
    return cls.load_checkpoint(path), record, model or recorded
