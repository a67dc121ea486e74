"""Log every epoch's losses to a CSV file and checkpoint every 50 epochs; then resume to 400 epochs.

    python examples/callbacks/csv_and_checkpoints.py        # writes losses.csv, run.ckpt, model.synthgan

A checkpoint holds the critic (a membership oracle for the training rows): keep it as private as the data.
"""

from __future__ import annotations

from synthgan import CTGAN
from synthgan.data import load_heart_disease
from synthgan.training.callbacks import Checkpoint, CSVLogger


def main() -> None:
    data = load_heart_disease()
    callbacks = [CSVLogger("losses.csv"), Checkpoint("run.ckpt", every_epochs=50, at_end=True)]
    CTGAN(epochs=200, ema=0.999, random_state=0, callbacks=callbacks).fit(data)

    # later, or after a preempted job: continue the same run to 400 epochs in all
    model = CTGAN.load_checkpoint("run.ckpt").set_params(
        epochs=400, callbacks=[CSVLogger("losses.csv", append=True)]
    )
    model.fit(data)
    model.save("model.synthgan")
    print(model.loss_values_.tail(3).to_string())


if __name__ == "__main__":
    main()
