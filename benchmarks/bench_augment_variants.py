"""Post-hoc variants of class balancing, on a model saved by ``bench_augment.py --save-model`` (no refit):
the same oversampling ratio for SMOTE-NC and synthgan (minority / majority after resampling), and
synthgan positives filtered for realism - a pool three times the largest need is generated, a
classifier cross-fitted to tell real positives from the pool ranks it, and the least separable rows
are kept. Same split, classifier and scores as bench_augment.

    python benchmarks/bench_augment.py --rows 30000 --save-model aug.synthgan      # ~25 min
    python benchmarks/bench_augment_variants.py aug.synthgan --rows 30000 --ratios 0.25 0.5 1.0
    python benchmarks/bench_augment_variants.py --per-class 300 --rows 30000 --ratios 1.0   # a model of the positives alone

``--per-class EPOCHS`` fits a CTGAN on the training positives only (no class condition) instead of
loading a model; its rows are scored the same ways (results/augment_variants_per_class.*).
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd
from bench_augment import RESULTS, score, smote_nc, split_data

from synthgan import CTGAN
from synthgan.realism import realism_order
from synthgan.synthesizers import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="a model file written by bench_augment.py --save-model")
    parser.add_argument(
        "--per-class",
        type=int,
        default=None,
        metavar="EPOCHS",
        help="fit a CTGAN on the positives alone instead",
    )
    parser.add_argument("--rows", type=int, default=None, help="the --rows the model was trained with")
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X_train, X_test, y_train, y_test, categories, _ = split_data(args.rows)
    negatives, positives = int((y_train == 0).sum()), int((y_train == 1).sum())
    needs = {r: int(r * negatives) - positives for r in args.ratios}
    if args.per_class:
        model = CTGAN(epochs=args.per_class, random_state=0, verbose=False).fit(
            X_train[y_train == 1].reset_index(drop=True)
        )
        pool = model.sample(3 * max(needs.values()), random_state=1)
    elif args.model:
        model = load_model(args.model)
        target = next(c for c in model.feature_names_in_ if c not in X_train.columns)
        pool = model.sample(3 * max(needs.values()), conditions={target: 1}, random_state=0).drop(
            columns=target
        )
    else:
        parser.error("give a model file or --per-class EPOCHS")
    pool = pool[X_train.columns].astype(X_train.dtypes.to_dict())
    order = realism_order(X_train[y_train == 1], pool)
    results = {"real_only": score("real only", X_train, y_train, X_test, y_test, categories)}
    for r, need in needs.items():
        results[f"smote_nc {r}"] = score(
            f"SMOTE-NC, ratio {r}", *smote_nc(X_train, y_train, categories, r), X_test, y_test, categories
        )
        for name, rows in (
            ("synthgan", pool.iloc[:need]),
            ("synthgan realism-filtered", pool.iloc[order[:need]]),
        ):
            X = pd.concat([X_train, rows], ignore_index=True)
            results[f"{name} {r}"] = score(
                f"{name}, ratio {r}", X, np.r_[y_train, np.ones(need, int)], X_test, y_test, categories
            )
    out = "augment_variants_per_class" if args.per_class else "augment_variants"
    (RESULTS / f"{out}.json").write_text(json.dumps(results, indent=2) + "\n")
    source = (
        f"a CTGAN of the positives alone, {args.per_class} epochs" if args.per_class else "one saved model"
    )
    lines = [
        f"# Class balancing variants on {source} (bench_augment_variants.py)",
        "",
        "| training data | rows | balanced accuracy | F1 (positive) | ROC AUC |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {k} | {v['rows']} | {v['balanced_accuracy']:.4f} | {v['f1']:.4f} | {v['roc_auc']:.4f} |"
        for k, v in results.items()
    ]
    (RESULTS / f"{out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
