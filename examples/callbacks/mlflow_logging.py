"""Track a synthgan fit in MLflow: parameters once, every epoch's losses and validation score as metrics,
and stop early from the tracking side: tag the run ``stop=true`` (in the MLflow UI, or
``MlflowClient().set_tag(run_id, "stop", "true")`` from another process) and training ends after the epoch.
MLflow is not a synthgan dependency:

    pip install mlflow
    python examples/callbacks/mlflow_logging.py     # then: mlflow ui

The callback protocol is all synthgan asks for: ``on_epoch_end(epoch, logs, model)`` (return True to stop),
plus optional ``on_train_begin(trainer)`` / ``on_train_end(trainer)`` / ``on_interrupt(trainer)``.
"""

from __future__ import annotations

from synthgan import CTGAN
from synthgan.data import load_heart_disease
from synthgan.training.callbacks import Callback


class MLflowLogger(Callback):
    """Logs the model's parameters at the start and each epoch's numeric logs as MLflow metrics."""

    def __init__(self, run_name: str = "synthgan") -> None:
        import mlflow  # imported here: only this example needs it

        self.mlflow, self.run_name = mlflow, run_name

    def on_train_begin(self, trainer) -> None:
        self.run_id = self.mlflow.start_run(run_name=self.run_name).info.run_id
        params = {k: v for k, v in trainer.owner.get_params().items() if k != "callbacks"}
        self.mlflow.log_params({k: str(v) for k, v in params.items()})

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool:
        metrics = {
            k.replace("[", "_").replace("]", ""): float(v)
            for k, v in logs.items()
            if isinstance(v, (int, float))
        }
        self.mlflow.log_metrics(metrics, step=epoch)
        tags = self.mlflow.get_run(self.run_id).data.tags
        return tags.get("stop", "").lower() == "true"  # True stops training after this epoch

    def on_train_end(self, trainer) -> None:
        self.mlflow.end_run()

    def on_interrupt(self, trainer) -> None:
        self.mlflow.end_run(status="KILLED")


def main() -> None:
    model = CTGAN(
        epochs=300, ema=0.999, validation=0.1, random_state=0, callbacks=[MLflowLogger("heart-ctgan")]
    )
    model.fit(load_heart_disease())


if __name__ == "__main__":
    main()
