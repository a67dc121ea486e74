"""``synthgan evaluate``: fidelity and privacy of a synthetic table against the real one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from synthgan.defaults import DEFAULT_MAX_IMAGES
from synthgan.exceptions import InvalidParameterError

from ._errors import handle_errors
from ._options import claim_outputs, force_option


@handle_errors
def evaluate_command(
    real: Annotated[
        Path,
        typer.Argument(
            metavar="REAL",
            help="The real rows the generator learned from (CSV/TSV/Parquet).",
            show_default=False,
        ),
    ],
    synthetic: Annotated[
        Path,
        typer.Argument(metavar="SYNTHETIC", help="The synthetic rows (CSV/TSV/Parquet).", show_default=False),
    ],
    holdout: Annotated[
        Optional[Path],
        typer.Option("--holdout", help="Real rows kept out of training: the privacy baseline."),
    ] = None,
    target: Annotated[
        Optional[str], typer.Option("--target", help="Column to predict for the ML-efficacy score.")
    ] = None,
    json_out: Annotated[
        Optional[Path],
        typer.Option(
            "--json", help="Write the full report as JSON here ('-': on stdout, instead of the text)."
        ),
    ] = None,
    html_out: Annotated[
        Optional[Path], typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the subsamples and classifiers.")] = 0,
    features: Annotated[
        Optional[Path],
        typer.Option(
            "--features", help="Images: TorchScript feature extractor for FID/KID (default: InceptionV3)."
        ),
    ] = None,
    eval_images: Annotated[
        int, typer.Option("--eval-images", help="Images: how many images per side are evaluated.")
    ] = DEFAULT_MAX_IMAGES,
    schema: Annotated[
        Optional[Path],
        typer.Option("--schema", help="JSON schema (kinds, constraints: violations are counted per rule)."),
    ] = None,
    policy: Annotated[
        Optional[Path],
        typer.Option(
            "--policy", help="Gate policy TOML for the verdict in the HTML report (default: built-in)."
        ),
    ] = None,
    show_real: Annotated[
        bool, typer.Option("--show-real", help="Images, --html: also show real images per class (patients').")
    ] = False,
    show_neighbours: Annotated[
        bool,
        typer.Option(
            "--show-neighbours",
            help="Images, --html: show the synthetic images closest to a training image beside it.",
        ),
    ] = False,
    force: Annotated[bool, force_option()] = False,
) -> None:
    """Print fidelity and privacy scores beside what a fresh real sample (the holdout) scores.

    \b
    Example: synthgan evaluate train.csv synthetic.parquet --holdout holdout.csv --target outcome \\
                 --html report.html
    Images:  synthgan evaluate xrays/ synthetic.parquet --json report.json
             (a folder or an image export on either side)
    """
    from synthgan.evaluation import evaluate
    from synthgan.evaluation.images import evaluate_images
    from synthgan.evaluation.report import format_value
    from synthgan.io.atomic import check_writable
    from synthgan.io.images import is_image_source
    from synthgan.io.tabular import load_table

    stdout = json_out is not None and str(json_out) == "-"
    if stdout:
        json_out = None
    for path in (json_out, html_out):
        if path is not None:
            check_writable(path)
    claim_outputs(json_out, html_out, force=force, inputs=(real, synthetic, holdout, schema, policy))
    say = (lambda text: None) if stdout else typer.echo  # noqa: E731
    if any(is_image_source(p) for p in (real, synthetic)):
        if target is not None:
            raise InvalidParameterError("--target applies to tables")
        report = evaluate_images(
            real,
            synthetic,
            holdout,
            extractor=None if features is None else str(features),
            max_images=eval_images,
            random_state=seed,
        )
        for key in ("fidelity.fid", "fidelity.kid", "privacy.memorisation_share", "privacy.exact_copies"):
            say(
                f"{key:<28} {format_value(report.get(key, None)):>12}  real reference "
                f"{format_value(report.get('reference.' + key, None)):>12}"
            )
        if json_out is not None:
            report.to_json(json_out)
            say(f"report written to {json_out}")
        if html_out is not None:
            _image_html(html_out, report, real, synthetic, policy, show_real, show_neighbours)
            say(f"HTML report written to {html_out}")
        if stdout:
            typer.echo(report.to_json())
        return
    tables = {"real": load_table(real), "synthetic": load_table(synthetic)}
    tables["holdout"] = load_table(holdout) if holdout is not None else None
    report = evaluate(
        tables["real"],
        tables["synthetic"],
        tables["holdout"],
        target=target,
        schema=None if schema is None else str(schema),
        random_state=seed,
    )
    say(report.summary())
    if json_out is not None:
        report.to_json(json_out)
        say(f"report written to {json_out}")
    if html_out is not None:
        from synthgan.gate import Policy, decide

        rules = Policy.from_file(policy) if policy is not None else Policy.default()
        report.to_html(
            html_out,
            tables["real"],
            tables["synthetic"],
            tables["holdout"],
            decision=decide(report, rules),
            policy=rules,
        )
        say(f"HTML report written to {html_out}")
    if stdout:
        typer.echo(report.to_json())


def _image_html(path: Path, report, real: Path, synthetic: Path, policy, show_real: bool, neighbours: bool):
    from synthgan.evaluation.html_images import render_images
    from synthgan.gate import Policy, decide
    from synthgan.io.atomic import atomic_write_text
    from synthgan.io.images import load_images

    rules = Policy.from_file(policy) if policy is not None else Policy.default("image")
    real_set = load_images(real)
    synthetic_set = load_images(synthetic, image_size=real_set.shape[1])
    page = render_images(report, real_set, synthetic_set, decide(report, rules), rules, show_real, neighbours)
    atomic_write_text(path, page, private=show_real or neighbours)  # patients' images: owner only
