"""``ImageGAN``: a class-conditional WGAN-GP for folders of small images, with the same conventions as
the tabular models (sklearn contract, seeds, progress bar, loss history, safe save/load).

Example:
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> digits = load_digits()
    >>> images = (digits.images[:200] * 255 / 16).astype(np.uint8)
    >>> model = ImageGAN(epochs=1, random_state=0, verbose=False).fit(images, labels=digits.target[:200])
    >>> out = model.sample(4, conditions={"label": 7})
    >>> out.shape, list(out.labels)
    ((4, 8, 8, 1), ['7', '7', '7', '7'])
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator

from .._device import resolve_device, resolve_precision
from .._random import child_seeds, make_rng, torch_generator
from ..exceptions import ConditionError, ModelFileError
from ..io.artifacts import save_artifact
from ..io.images import ImageSet, check_side, load_images
from ..models.image import ImageCritic, ImageGenerator, init_conv_weights
from ..training.callbacks import Progress, as_callback
from ..training.engine import EngineConfig, History, Optim, Trainer
from ..training.images import ImageTask
from ..training.objectives import ObjectiveSpec, build_objectives
from ..transform.image import LabelCodes, from_tensor
from . import params as P
from ._common import FittedModel, jsonable, restore_history

#: Images generated per forward pass when sampling.
SAMPLE_BATCH = 512
#: WGAN-GP (lambda 10) on the image critic's scores.
OBJECTIVES = (ObjectiveSpec("wasserstein"), ObjectiveSpec("gradient_penalty", 10.0))


class ImageGAN(FittedModel, BaseEstimator):
    """Learns an image folder (one sub-folder per class) or an array; ``sample`` returns an ``ImageSet``."""

    def __init__(
        self,
        *,
        epochs: int = 100,
        batch_size: int = 64,
        noise_dim: int = 100,
        width: int = 32,
        image_size: int | None = None,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        discriminator_steps: int = 1,
        ema: float | None = None,
        callbacks: list | None = None,
        max_time: float | None = None,
        device: str = "auto",
        precision: str = "auto",
        random_state: int | np.random.Generator | None = None,
        verbose: bool = True,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.noise_dim = noise_dim
        self.width = width
        self.image_size = image_size
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.discriminator_steps = discriminator_steps
        self.ema = ema
        self.callbacks = callbacks
        self.max_time = max_time
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, data, labels=None):
        """Learn ``data`` (a folder path, an (N, H, W[, C]) array or an ``ImageSet``); returns ``self``.

        ``labels`` (N class names or numbers) override folder classes; with labels the model is conditional.
        """
        epochs = self._check_params()
        images = load_images(data, labels=labels, image_size=self.image_size)
        rng = make_rng(self.random_state)
        train_seed, self.sampling_seed_ = child_seeds(rng, 2)
        device = resolve_device(self.device)
        dtype = resolve_precision(self.precision, device)
        codes = LabelCodes(images.classes) if images.labels is not None else None
        train_rng = np.random.default_rng(train_seed)
        torch_gen = torch_generator(train_rng, device.type)
        side, channels, n_classes = images.shape[1], images.channels, len(images.classes)
        with torch.random.fork_rng(
            devices=[]
        ):  # layer constructors draw from the global RNG; keep it as it was
            generator = ImageGenerator(self.noise_dim, side, channels, n_classes, self.width)
            critic = ImageCritic(side, channels, n_classes, self.width)
        init_conv_weights(generator, torch_gen)
        init_conv_weights(critic, torch_gen)
        generator.to(device), critic.to(device)
        pixels = torch.as_tensor(images.images, device=device).permute(0, 3, 1, 2).contiguous()
        label_t = None if codes is None else torch.as_tensor(codes.encode(images.labels), device=device)
        task = ImageTask(
            generator, critic, pixels, label_t, noise_dim=self.noise_dim, batch_size=self.batch_size
        )
        config = EngineConfig(
            critic_steps=self.discriminator_steps,
            generator_optim=Optim(self.generator_lr, (0.5, 0.9), 0.0),
            critic_optim=Optim(self.discriminator_lr, (0.5, 0.9), 0.0),
            autocast_dtype=dtype,
            max_time=self.max_time,
            ema=self.ema,
        )
        trainer = Trainer(
            task, build_objectives(task, list(OBJECTIVES)), config, train_rng, torch_gen, owner=self
        )
        counts = [int((images.labels == c).sum()) for c in images.classes] if codes is not None else []
        self._set_fitted(
            trainer.sampling_generator(), codes, counts, side, channels, device, dtype, trainer.history
        )
        callbacks = [*(self.callbacks or []), *([Progress(epochs)] if self.verbose else [])]
        trainer.callbacks = [as_callback(c) for c in callbacks]  # plain functions too, as for tables
        try:
            history = trainer.fit(epochs * task.steps_per_epoch)
        finally:
            self.generator_ = trainer.sampling_generator().eval()
        self.history_, self.loss_values_ = history, history.frame()
        return self

    def _check_params(self) -> int:
        """Validates the parameters; returns the epochs."""
        for name in ("batch_size", "noise_dim", "width", "discriminator_steps"):
            P.positive_int(name, getattr(self, name))
        P.positive_float("generator_lr", self.generator_lr)
        P.positive_float("discriminator_lr", self.discriminator_lr)
        P.positive_float("max_time", self.max_time, allow_none=True)
        P.share("ema", self.ema, low=0.0, high=1.0, closed_low=True)
        P.callback_list(self.callbacks)
        if self.image_size is not None:
            check_side(self.image_size)
        resolve_precision(self.precision, torch.device("cpu"))
        return P.positive_int("epochs", self.epochs)

    def _set_fitted(
        self, generator, codes, counts, side, channels, device, autocast_dtype, history: History
    ) -> None:
        self.generator_ = generator
        self.label_codes_ = codes
        self.classes_ = np.asarray(codes.classes if codes is not None else (), dtype=object)
        self.class_counts_ = list(counts)
        self.image_size_, self.channels_ = int(side), int(channels)
        self.device_ = device
        self.noise_dim_ = self.noise_dim
        self.batch_size_ = self.batch_size
        self.autocast_dtype_ = autocast_dtype
        self.history_ = history
        self.loss_values_ = history.frame()
        self._sampling_rng = np.random.default_rng(self.sampling_seed_)

    def sample(self, n: int, conditions: Mapping | None = None, random_state=None) -> ImageSet:
        """``n`` images; ``conditions={"label": "7"}`` makes every image that class (labels follow the
        training class frequencies otherwise). ``random_state`` makes this call reproducible."""
        self._check_fitted()
        n = P.sample_count(n)
        rng = make_rng(random_state) if random_state is not None else self._sampling_rng
        torch_gen = torch_generator(rng, self.device_.type)
        codes = self._labels_for(n, conditions, rng)
        chunks = []
        training = self.generator_.training  # a callback samples the module being trained: leave it as it is
        self.generator_.eval()  # batch norm's running statistics, never this call's batch (nor updated by it)
        with torch.inference_mode(), _restore_mode(self.generator_, training):
            for start in range(0, n, SAMPLE_BATCH):
                size = min(SAMPLE_BATCH, n - start)
                noise = torch.randn(size, self.noise_dim_, generator=torch_gen, device=self.device_)
                labels = (
                    None
                    if codes is None
                    else torch.as_tensor(codes[start : start + size], device=self.device_)
                )
                chunks.append(from_tensor(self.generator_(noise, labels)))
        return ImageSet(np.concatenate(chunks), None if codes is None else self.label_codes_.decode(codes))

    def _labels_for(self, n: int, conditions: Mapping | None, rng: np.random.Generator) -> np.ndarray | None:
        conditions = dict(conditions or {})
        unknown = [k for k in conditions if k != "label"]
        if unknown:
            raise ConditionError(f"images can only be conditioned on 'label', not {unknown}")
        if self.label_codes_ is None:
            if conditions:
                raise ConditionError(
                    "this model was trained without labels; it cannot be conditioned on 'label'"
                )
            return None
        if conditions:
            return np.full(n, self.label_codes_.code_of(conditions["label"]), dtype=np.int64)
        counts = np.asarray(self.class_counts_, dtype=np.float64)
        return rng.choice(len(counts), size=n, p=counts / counts.sum()).astype(np.int64)

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Write the generator's weights + JSON (classes, counts, sizes, parameters); no training image."""
        self._check_fitted()
        meta = {
            "metadata": metadata or {},
            "class": type(self).__name__,
            "params": {k: jsonable(v) for k, v in self.get_params().items() if k != "callbacks"},
            "fitted": {
                **self._training_record(),
                "classes": [str(c) for c in self.classes_],
                "class_counts": self.class_counts_,
                "image_size": self.image_size_,
                "channels": self.channels_,
            },
        }
        return save_artifact(path, meta, self.generator_.state_dict())

    @classmethod
    def _from_artifact(cls, meta: dict, tensors: dict, path, device: str):
        """Rebuild a fitted model from a model file's JSON and weights (already read and checked)."""
        try:
            model = cls(**meta["params"])
            fitted = meta["fitted"]
            classes = fitted["classes"]
            with torch.random.fork_rng(devices=[]):
                generator = ImageGenerator(
                    fitted["noise_dim"], fitted["image_size"], fitted["channels"], len(classes), model.width
                )
            generator.load_state_dict(tensors)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"{path}: the model file is inconsistent ({type(exc).__name__}); re-train or re-save it"
            ) from None
        target = resolve_device(device)
        model.sampling_seed_ = fitted["sampling_seed"]
        codes = LabelCodes(classes) if classes else None
        dtype = torch.bfloat16 if fitted["precision"] == "bfloat16" else None
        model._set_fitted(
            generator.to(target).eval(),
            codes,
            fitted["class_counts"],
            fitted["image_size"],
            fitted["channels"],
            target,
            dtype,
            restore_history(fitted),
        )
        model.noise_dim_, model.batch_size_ = fitted["noise_dim"], fitted["batch_size"]
        model.metadata_ = meta.get("metadata", {})
        return model


@contextlib.contextmanager
def _restore_mode(module: torch.nn.Module, training: bool):
    try:
        yield
    finally:
        module.train(training)
