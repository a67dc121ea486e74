"""ImageGAN on real MNIST digits (../shared/datasets/mnist): seconds per epoch on this CPU, FID / KID
after a fixed time budget beside the real-vs-real reference at the same n, memorisation, and the
image gate's verdict on the trained model and on broken sets (noise, one repeated image, copies).

    python benchmarks/bench_images.py --budget 600 --eval 500     # results/images_mnist.{json,md}

Features are extracted once per image set (InceptionV3 costs ~0.2 s per image on this CPU).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
from _data import mnist

from synthgan import ImageGAN, ImageSet
from synthgan.evaluation.fid import FeatureExtractor
from synthgan.evaluation.images import evaluate_images
from synthgan.gate import Policy, decide
from synthgan.workflow.holdout import split_holdout

RESULTS = Path(__file__).resolve().parent / "results"


class CachedFeatures:
    """The InceptionV3 extractor, memoised by the images' bytes (train/holdout features are reused)."""

    def __init__(self) -> None:
        self.net, self.cache, self.seconds, self.images = FeatureExtractor(), {}, 0.0, 0

    def __call__(self, images: np.ndarray) -> np.ndarray:
        key = hashlib.sha1(images.tobytes()).hexdigest()
        if key not in self.cache:
            start = time.perf_counter()
            self.cache[key] = self.net.features(images)
            self.seconds, self.images = self.seconds + time.perf_counter() - start, self.images + len(images)
        return self.cache[key]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds")
    parser.add_argument(
        "--train", type=int, default=5000, help="training images (the rest of the 10k is the holdout)"
    )
    parser.add_argument("--eval", type=int, default=500, help="images per side for FID/KID")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument(
        "--model", type=Path, default=None, help="reuse a model this script saved (skips training)"
    )
    args = parser.parse_args()
    images, labels = mnist()
    data = ImageSet.from_array(images, labels)
    train, holdout = split_holdout(data, 1 - args.train / len(data), seed=0)
    if args.model is not None:
        model = ImageGAN.load(args.model)
    else:
        model = ImageGAN(
            epochs=1000, max_time=args.budget, width=args.width, random_state=0, verbose=True
        ).fit(train)
        model.save(RESULTS / "images_mnist.synthgan")
    history = model.loss_values_
    per_epoch = float(np.diff(np.r_[0.0, history["seconds"].to_numpy()]).mean())
    features, policy = CachedFeatures(), Policy.default("image")
    rng = np.random.default_rng(1)
    candidates = {
        "trained": model.sample(args.eval, random_state=0),
        "uniform_noise": ImageSet(
            rng.integers(0, 256, (args.eval, 28, 28, 1), dtype=np.uint8), rng.choice(train.labels, args.eval)
        ),
        "one_image_repeated": ImageSet(
            np.repeat(train.images[:1], args.eval, axis=0), np.repeat(train.labels[:1], args.eval)
        ),
        "training_copies": train.subset(rng.permutation(len(train))[: args.eval]),
    }
    out = {
        "images": {"train": len(train), "holdout": len(holdout), "evaluated": args.eval},
        "budget_seconds": args.budget,
        "epochs": len(history),
        "seconds_per_epoch": per_epoch,
        "train_seconds": float(history["seconds"].iloc[-1]),
        "steps_per_epoch": len(train) // model.batch_size_,
        "width": args.width,
        "results": {},
    }
    for name, synthetic in candidates.items():
        report = evaluate_images(train, synthetic, holdout, extractor=features, max_images=args.eval)
        decision = decide(report, policy)
        out["results"][name] = {
            "fid": report.get("fidelity.fid"),
            "fid_reference": report.get("reference.fidelity.fid"),
            "kid": report.get("fidelity.kid"),
            "kid_reference": report.get("reference.fidelity.kid"),
            "memorisation_share": report.get("privacy.memorisation_share"),
            "memorisation_reference": report.get("reference.privacy.memorisation_share"),
            "memorisation_pixels": report.get("privacy.memorisation_share_pixels"),
            "memorisation_pixels_reference": report.get("reference.privacy.memorisation_share_pixels"),
            "exact_copies": report.get("privacy.exact_copies"),
            "gate_passed": decision.passed,
            "failed_checks": [c.metric for c in decision.failed],
            "fid_per_class": report.get("fidelity.fid_per_class"),
        }
        print(name, {k: v for k, v in out["results"][name].items() if k != "fid_per_class"}, flush=True)
    out["feature_seconds_per_image"] = features.seconds / max(features.images, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "images_mnist.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        f"# ImageGAN on MNIST ({len(train)} train / {len(holdout)} holdout, {args.eval} images per side)",
        "",
        f"{per_epoch:.1f} s per epoch ({out['steps_per_epoch']} steps of {model.batch_size_}), {len(history)} epochs in "
        f"{out['train_seconds']:.0f} s; InceptionV3 features {out['feature_seconds_per_image']:.3f} s per image.",
        "",
        "| set | FID | FID real-vs-real | KID | KID real-vs-real | memorisation (features / pixels) | real holdout | exact copies | gate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in out["results"].items():
        lines.append(
            f"| {name} | {r['fid']:.1f} | {r['fid_reference']:.1f} | {r['kid']:.4f} | {r['kid_reference']:.4f} | "
            f"{r['memorisation_share']:.3f} / {r['memorisation_pixels']:.3f} | {r['memorisation_reference']:.3f} / {r['memorisation_pixels_reference']:.3f} | {r['exact_copies']} | "
            f"{'pass' if r['gate_passed'] else 'refused: ' + ', '.join(r['failed_checks'])} |"
        )
    (RESULTS / "images_mnist.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
