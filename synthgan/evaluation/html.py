"""A self-contained HTML report: the gate's decision at the top in plain words with each check's reason,
scores with their meaning, per-column overlays, correlation matrices (real / synthetic / difference),
distance-to-closest-record histograms and, when the model's history is given, the loss curves. Images are
embedded PNGs; the page has no script and loads nothing from outside.

Small cells are suppressed: a histogram bin or a category bar of real rows holding fewer than k rows
(``MIN_COUNT``, 5) is drawn empty, so no plot shows one or two patients.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from ..transform.bounds import MIN_COUNT
from .columns import Columns, as_labels
from .distance import RowEmbedding, nearest
from .report import format_value

MEANINGS = {
    "fidelity.column_shapes": (
        "Mean per-column similarity (1 - KS for numbers, 1 - TV for categories). 1 = identical marginals."
    ),
    "fidelity.column_pair_trends": (
        "Mean similarity of correlations / contingency tables over pairs with a real trend. 1 = identical."
    ),
    "fidelity.missing_similarity": "1 - gap in missing-value rate, averaged over columns.",
    "fidelity.detection_auc": (
        "ROC AUC of a classifier telling real from synthetic rows. 0.5 = indistinguishable."
    ),
    "fidelity.ml_efficacy": (
        "Train-on-synthetic score over train-on-real score, both tested on real held-out rows."
    ),
    "privacy.exact_match_rate": "Share of synthetic rows identical to a training row.",
    "privacy.unique_copies": (
        "Synthetic rows copying a training record that belongs to one person (unique in training, "
        "not held out)."
    ),
    "privacy.near_copy_share": (
        "Share of synthetic rows closer to a training row than the closest 1% of real held-out rows."
    ),
    "privacy.dcr_closer_to_train_share": (
        "Share of synthetic rows whose nearest real row is a training row (chance: |T| / (|T| + |H|))."
    ),
    "privacy.dcr_closer_to_train_gain": (
        "Of the rows chance puts nearest a held-out row, the share nearest a training row instead. 0 = none."
    ),
    "privacy.dcr_synthetic_median": "Median distance from a synthetic row to its closest training row.",
    "privacy.dcr_holdout_median": "The same for real held-out rows: what a fresh real sample scores.",
    "privacy.nndr_ratio": (
        "Low-quantile nearest/second-nearest ratio, synthetic vs held-out. Well under 1 = near-copies."
    ),
    "privacy.membership_inference_auc": (
        "Density-ratio membership attack (DOMIAS-like) ROC AUC. 0.5 = no leakage."
    ),
}
MAX_PLOTTED_COLUMNS = 40
DCR_SAMPLE = 5000


def render(
    report,
    real: pd.DataFrame | None,
    synthetic: pd.DataFrame | None,
    holdout: pd.DataFrame | None = None,
    decision=None,
    policy=None,
    history: pd.DataFrame | None = None,
) -> str:
    """The whole HTML document as a string."""
    rows = []
    for key, meaning in MEANINGS.items():
        rows.append(
            f"<tr><td><code>{key}</code></td><td>{_fmt(report.get(key, None))}</td>"
            f"<td>{_fmt(report.get('reference.' + key, None))}</td><td>{html.escape(meaning)}</td></tr>"
        )
    parts = [
        head("synthgan evaluation"),
        "<h1>synthgan evaluation report</h1>",
        *verdict(decision, policy, "rows"),
        "<h2>Scores</h2><table><tr><th>metric</th><th>synthetic</th><th>real holdout "
        "(reference)</th><th>meaning</th></tr>",
        *rows,
        "</table>",
    ]
    if real is not None and synthetic is not None:
        cols = Columns(
            tuple(report.data["meta"]["columns"]["numeric"]),
            tuple(report.data["meta"]["columns"]["categorical"]),
            {},
        )
        parts += ["<h2>Columns: real vs synthetic</h2>", _img(_overlays(real, synthetic, cols))]
        if len(cols.numeric) >= 2:
            parts += ["<h2>Correlations (numeric columns)</h2>", _img(_correlations(real, synthetic, cols))]
        parts += ["<h2>Distance to the closest training row</h2>", _img(_dcr(real, synthetic, holdout, cols))]
    if history is not None and len(history):
        parts += ["<h2>Training losses</h2>", _img(_losses(history))]
    parts.append("</body></html>")
    return "\n".join(parts)


def head(title: str) -> str:
    """The document's head: title and the one stylesheet (no script, nothing loaded from outside)."""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}img{max-width:100%}"
        ".verdict{padding:1em;border-radius:6px;font-size:1.2em;margin-bottom:1em}"
        ".pass{background:#e3f4e1;border:2px solid #3a8a34}.fail{background:#fbe4e1;border:2px solid #b3261e}"
        "td.ok{color:#2d6a27}td.no{color:#b3261e;font-weight:bold}</style></head><body>"
    )


def verdict(decision, policy, what: str) -> list[str]:
    """The gate's decision in plain words, then every check: value, threshold, result and its reason."""
    if decision is None:
        return ["<div class='verdict'>No gate decision was made for this report (evaluation only).</div>"]
    reasons = {c.metric: c.reason for c in policy.checks} if policy is not None else {}
    failed = [c for c in decision.checks if not c.passed]
    if decision.passed:
        words = (
            f"<b>Released.</b> The synthetic {what} passed all {len(decision.checks)} checks of the "
            f"'{html.escape(decision.policy)}' gate."
        )
    else:
        words = (
            f"<b>Refused.</b> {len(failed)} of {len(decision.checks)} checks of the "
            f"'{html.escape(decision.policy)}' gate failed, so nothing was released: "
            + "; ".join(html.escape(reasons.get(c.metric) or c.metric) for c in failed)
            + "."
        )
    rows = [
        f"<tr><td><code>{html.escape(c.metric)}</code></td><td>{_fmt(c.value)}</td>"
        f"<td>{c.bound} {_fmt(c.threshold)}</td><td class='{'ok' if c.passed else 'no'}'>"
        f"{'pass' if c.passed else 'FAIL'}</td><td>{html.escape(reasons.get(c.metric, c.note))}</td></tr>"
        for c in decision.checks
    ]
    return [
        f"<div class='verdict {'pass' if decision.passed else 'fail'}'>{words}</div>",
        "<h2>Gate checks</h2><table><tr><th>check</th><th>value</th><th>threshold</th><th>result</th>"
        "<th>the rule</th></tr>",
        *rows,
        "</table>",
    ]


def _losses(history: pd.DataFrame):
    fig, axes = _figure(1, per_row=1, size=6)
    epochs = history["epoch"] if "epoch" in history else np.arange(1, len(history) + 1)
    for column, label in (("generator_loss", "generator"), ("critic_loss", "critic")):
        if column in history:
            axes[0].plot(epochs, history[column], label=label)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    return fig


def _fmt(value) -> str:
    if isinstance(value, dict) and "not_evaluated" in value:
        return f"<i>not evaluated: {html.escape(str(value['not_evaluated']))}</i>"
    return format_value(value)


def _figure(n_panels: int, per_row: int = 4, size: float = 3.2):
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    n_rows = max(1, -(-n_panels // per_row))
    fig, axes = plt.subplots(n_rows, per_row, figsize=(per_row * size, n_rows * size * 0.8), squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _img(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return f"<img src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'>"


def _overlays(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns):
    names = list(cols.scored)[:MAX_PLOTTED_COLUMNS]
    fig, axes = _figure(len(names))
    for ax, c in zip(axes, names):
        if c in cols.numeric:
            a, b = cols.numbers(real, c), cols.numbers(synthetic, c)
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            edges = np.histogram_bin_edges(np.r_[a, b], bins=30) if a.size + b.size else np.linspace(0, 1, 11)
            _histogram(ax, a, edges, "real", suppress=True)
            _histogram(ax, b, edges, "synthetic", suppress=False)
        else:
            counts = as_labels(real[c]).value_counts(dropna=False)
            counts = counts[counts >= MIN_COUNT]  # bars of fewer than k real rows are not drawn
            p = (counts / max(len(real), 1)).head(12)
            q = (
                as_labels(synthetic[c])
                .value_counts(normalize=True, dropna=False)
                .reindex(p.index, fill_value=0)
            )
            x = np.arange(len(p))
            ax.bar(x - 0.2, p.to_numpy(), 0.4, label="real")
            ax.bar(x + 0.2, q.to_numpy(), 0.4, label="synthetic")
            ax.set_xticks(x, [str(v)[:10] for v in p.index], rotation=60, fontsize=7)
        ax.set_title(str(c)[:30], fontsize=9)
    axes[0].legend(fontsize=7)
    return fig


def _histogram(ax, values: np.ndarray, edges: np.ndarray, label: str, suppress: bool) -> None:
    """A density histogram; with ``suppress``, bins holding 1 to k-1 rows are drawn empty."""
    counts, _ = np.histogram(values, bins=edges)
    if suppress:
        counts = np.where(counts < MIN_COUNT, 0, counts)
    total = counts.sum()
    density = counts / (total * np.diff(edges)) if total else counts.astype(float)
    ax.stairs(density, edges, fill=True, alpha=0.5, label=label)


def _correlations(real: pd.DataFrame, synthetic: pd.DataFrame, cols: Columns):
    names = list(cols.numeric)[:MAX_PLOTTED_COLUMNS]

    def corr(frame):
        return pd.DataFrame({c: cols.numbers(frame, c) for c in names}).corr().to_numpy()

    r, s = corr(real), corr(synthetic)
    fig, axes = _figure(3, per_row=3, size=4.5)
    for ax, (title, m, cmap, lim) in zip(
        axes,
        [("real", r, "RdBu_r", 1), ("synthetic", s, "RdBu_r", 1), ("|difference|", np.abs(r - s), "Reds", 1)],
    ):
        im = ax.imshow(m, cmap=cmap, vmin=-lim if cmap == "RdBu_r" else 0, vmax=lim)
        ax.set_title(title)
        ax.set_xticks(range(len(names)), [n[:10] for n in names], rotation=90, fontsize=6)
        ax.set_yticks(range(len(names)), [n[:10] for n in names], fontsize=6)
        fig.colorbar(im, ax=ax, fraction=0.046)
    return fig


def _dcr(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, cols: Columns):
    emb = RowEmbedding(real, cols)
    rng = np.random.default_rng(0)
    train = emb.transform(real)
    fig, axes = _figure(1, per_row=1, size=6)
    for label, frame in (("synthetic", synthetic), ("real holdout", holdout)):
        if frame is None:
            continue
        rows = frame.iloc[np.sort(rng.choice(len(frame), min(len(frame), DCR_SAMPLE), replace=False))]
        d = nearest(emb.transform(rows), train)[0][:, 0]
        _histogram(axes[0], d, np.histogram_bin_edges(d, bins=40), label, suppress=label != "synthetic")
    axes[0].set_xlabel("distance to closest training row")
    axes[0].legend()
    return fig
