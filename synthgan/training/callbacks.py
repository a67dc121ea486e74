"""Callbacks: what the engine calls during ``fit``, and the built-in ones (progress, CSV log, checkpoints).

The protocol (override what you need)::

    class MyCallback(Callback):
        def on_train_begin(self, trainer): ...            # before the first step of this fit
        def on_epoch_end(self, epoch, logs, model): ...   # after every epoch; return True to stop
        def on_train_end(self, trainer): ...              # after the last step
        def on_interrupt(self, trainer): ...              # on SIGINT / SIGTERM, at a step boundary

``logs`` holds the epoch's mean losses (``generator_loss``, ``critic_loss`` and one entry per loss
term), ``step`` and ``seconds``; ``model`` is the estimator being fitted, whose ``sample`` already
works (with the weights sampling would use now). A plain function ``f(epoch, logs, model)`` is a
callback too. Callbacks whose state a resumed run must continue with implement ``state_dict`` /
``load_state_dict``.

Example:
    >>> from synthgan import CTGAN
    >>> from synthgan.data import load_heart_disease
    >>> seen = []
    >>> model = CTGAN(epochs=3, random_state=0, verbose=False, callbacks=[lambda e, logs, m: seen.append(e)])
    >>> _ = model.fit(load_heart_disease())
    >>> seen
    [1, 2, 3]
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

from ..exceptions import InvalidParameterError


class Callback:
    """Base class of the engine's callbacks; every hook does nothing by default."""

    def on_train_begin(self, trainer) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool | None:
        return None

    def on_train_end(self, trainer) -> None:
        pass

    def on_interrupt(self, trainer) -> None:
        pass

    def state_dict(self) -> dict | None:
        """State a resumed run continues with (JSON-able values and tensors), or None."""
        return None

    def load_state_dict(self, state: dict) -> None:
        pass


class _Function(Callback):
    def __init__(self, fn) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool | None:
        return self.fn(epoch, logs, model)


def as_callback(obj) -> Callback:
    """A ``Callback`` as is; a function ``f(epoch, logs, model)`` wrapped as its ``on_epoch_end``."""
    if isinstance(obj, Callback):
        return obj
    if callable(obj):
        return _Function(obj)
    raise InvalidParameterError(
        f"callbacks entries must be Callback objects or functions f(epoch, logs, model), got {obj!r}"
    )


class Progress(Callback):
    """Progress of a fit: a bar on a terminal; elsewhere (CI logs, pipes, ``CI=true``) one short line per
    tenth of the epochs, or every ``interval`` seconds, with the losses."""

    def __init__(self, total_epochs: int, stream=None, interval: float = 60.0) -> None:
        self.total, self.stream, self.interval = total_epochs, stream, interval
        self.bar = None

    def on_train_begin(self, trainer) -> None:
        stream = self.stream or sys.stderr
        self.start, self.last, self.done = time.perf_counter(), time.perf_counter(), trainer.epoch
        if _interactive(stream):
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=self.total, initial=self.done, desc="fit", unit="epoch", file=stream, leave=True
            )

    def on_epoch_end(self, epoch: int, logs: dict, model) -> None:
        losses = f"g={logs['generator_loss']:+.3f} c={logs['critic_loss']:+.3f}"
        if self.bar is not None:
            self.bar.update(epoch - self.bar.n)
            self.bar.set_postfix_str(losses.replace("=", " "))
            return
        tenth = max(1, self.total // 10)
        now = time.perf_counter()
        if epoch % tenth == 0 or epoch == self.total or now - self.last >= self.interval:
            self.last = now
            (self.stream or sys.stderr).write(
                f"fit: epoch {epoch}/{self.total} ({100 * epoch // max(self.total, 1)}%) "
                f"{losses} {now - self.start:.0f}s\n"
            )

    def on_train_end(self, trainer) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _interactive(stream) -> bool:
    """A terminal (and not CI), or a notebook: where a redrawn bar reads well."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


class CSVLogger(Callback):
    """Appends each epoch's ``logs`` as a CSV row (header from the first epoch's keys).

    Example:
        >>> import tempfile, pathlib, pandas as pd
        >>> from synthgan import CTGAN
        >>> from synthgan.data import load_heart_disease
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "losses.csv"
        >>> model = CTGAN(epochs=2, random_state=0, verbose=False, callbacks=[CSVLogger(path)])
        >>> _ = model.fit(load_heart_disease())
        >>> pd.read_csv(path)["epoch"].tolist()
        [1, 2]
    """

    def __init__(self, path: str | os.PathLike, append: bool = False) -> None:
        self.path, self.append = Path(path), append
        self.fields: list[str] | None = None

    def on_train_begin(self, trainer) -> None:
        if not self.append and self.path.exists() and self.fields is None:
            self.path.unlink()

    def on_epoch_end(self, epoch: int, logs: dict, model) -> None:
        new = not self.path.exists()
        if self.fields is None:
            self.fields = list(logs)
        with open(self.path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(logs)


class Checkpoint(Callback):
    """Writes a training checkpoint (``model.save_checkpoint``) to ``path`` every ``every_epochs`` epochs
    and/or every ``every_seconds`` seconds, when training is interrupted (SIGINT / SIGTERM), and at the
    end if ``at_end``. Written atomically: a kill mid-write leaves the previous checkpoint.

    Example (resume later with ``CTGAN.load_checkpoint("run.ckpt").set_params(epochs=600).fit(df)``)::

        CTGAN(epochs=300, callbacks=[Checkpoint("run.ckpt", every_epochs=50)]).fit(df)

    A checkpoint holds the critic, a membership oracle for the training rows: keep it as private as the
    data (the model file for release never holds it)."""

    def __init__(
        self,
        path: str | os.PathLike,
        every_epochs: int | None = None,
        every_seconds: float | None = None,
        at_end: bool = False,
        metadata: dict | None = None,
    ) -> None:
        self.path, self.every_epochs, self.every_seconds, self.at_end = (
            Path(path),
            every_epochs,
            every_seconds,
            at_end,
        )
        self.metadata = metadata  # stored in the checkpoint (e.g. where the training data came from)
        self.written: Path | None = None

    def on_train_begin(self, trainer) -> None:
        self.last = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict, model) -> None:
        due = self.every_epochs is not None and epoch % self.every_epochs == 0
        if self.every_seconds is not None and time.perf_counter() - self.last >= self.every_seconds:
            due = True
        if due:
            self._write(model)

    def on_train_end(self, trainer) -> None:
        if self.at_end:
            self._write(trainer.owner)

    def on_interrupt(self, trainer) -> None:
        self._write(trainer.owner)

    def _write(self, model) -> None:
        self.written = model.save_checkpoint(self.path, metadata=self.metadata)
        self.last = time.perf_counter()
