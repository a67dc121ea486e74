"""How long to train and in what batches, from the table's size: budgets in steps, not only epochs.

With a fixed 300 epochs, a 300-row table got 300 optimizer steps and a 100,000-row one 60,000. Here ``epochs``
or ``steps`` may be given (not both); when neither is, a table gets ``DEFAULT_EPOCHS`` epochs' worth of steps,
but never fewer than ``MIN_STEPS`` nor more than ``MAX_STEPS``, and no more than a time budget buys, down to
``MIN_TIMED_STEPS`` (``within_time``: about ``TIME_BUDGET`` seconds of the reference 2-core CPU per
``BUDGET_ROWS`` training rows, by an estimate of a step's cost from the networks' size - the same steps on
every machine, so a seed still gives the same model). The batch is ``DEFAULT_BATCH`` rows, or a quarter of the
rows if fewer (so an epoch is at least four steps), rounded down to a multiple of ``pac``; a table under
``MIN_ROWS_QUARTER_BATCH`` rows trains on batches of all its rows instead, rounded down the same way (rows are
drawn with replacement - uniformly, or by training-by-sampling - so a batch is not a partition of the table;
an epoch is then one step, so ``epochs=N`` there means N steps). A quarter of a 124-row table is three critic
packs a step, and its rows lost their columns' dependence: on hepatitis (116 training rows, 5 seeds,
``benchmarks/results/batch_whole_table.md``) batches of the whole table raised pair trends by +0.022,
train-on-synthetic AUC by +0.197 and cut the conditional TV from 0.46 to 0.16, with the gate's membership
attack unchanged (-0.001 over 8 seeds; the closest-record gain rose from 0.10 to 0.18, under the gate's 0.5),
for fits about 1.3-1.6x as long. On heart disease and kidney (227-320 rows) the whole table gained less (pair
trends +0.008 and +0.013, within noise) and moved the rows nearer their training rows (kidney's membership AUC
+0.039 [+0.017, +0.060], refused at 2 of 8 seeds; heart's closest-record gain +0.090 [+0.027, +0.153];
``results/gate_calibration_whole_table.md``), so those keep quarter batches. The cut-off at 200 rows lies
between the sizes measured (124 and 227 training rows); sizes between them are not measured.

The critic scores packs of ``pac`` rows (PacGAN; the estimators' default is the paper's 10). With
``pac=None`` the packs fit the batch: up to ``MAX_PAC`` rows a pack, but a batch holds at least
``MIN_PACKS`` packs, so a 242-row table (batch 60) trains with single-row packs instead of six packs of ten.
That keeps more of the columns' dependencies (``benchmarks/results/settings_pac.md``: pair trends +0.027 on
heart disease, 95% interval above 0 over 5 seeds) but moves the rows nearer their training rows: the gate's
membership attack (on one holdout split) refused the demo's flow at 5 of 13 seeds
(``results/demo_pass_rate_pac1.md``) and a hepatitis model (124 rows) at 7 of 8 seeds
(``results/gate_calibration_hepatitis_pac1.md``), so it is not the default, and tables under
``MIN_ROWS_SMALL_PACKS`` rows keep packs of ``MAX_PAC`` even then.

Whether the rows of a critic pack share one training condition (``pack_conditions=None``, the CTGAN default)
follows the batch too: they do when a batch holds at least ``MIN_SHARED_PACKS`` packs. With many packs a
step still sees many conditions, and the critic compares a condition's rows with real rows of that
condition pack by pack. Against mixed packs (the paper's), with 50 packs of 10 a batch (7,500 training rows;
``results/settings_pack_conditions_large.md``, ``settings_pack_conditions.md``): column shapes rose on
diabetes-130, credit default and Adult, rows asked for with a condition kept Adult's and credit default's
conditional distributions far better, TSTR rose on credit default and Adult and global utility on Adult;
pair trends fell on credit default (-0.028) and did not move significantly on the other two. With few packs
a step sees few conditions: on heart disease (5 packs) the rows asked for with a condition moved away from the
real ones (``settings_pack_conditions_heart.md``), and on 116-300-row tables (5-11 packs) global utility fell.
The cut-off at 20 packs (800 training rows at ``pac=10``) lies between the 11 and 50 packs measured; smaller
packs (``pac=None`` on 400 or more rows: packs of 2-9, 50 a batch) share conditions too, unmeasured.

Example:
    >>> b = resolve_budget(242, pac=10)
    >>> b.batch_size, b.steps_per_epoch, b.total_steps
    (60, 4, 3000)
    >>> [resolve_budget(rows, pac=10).batch_size for rows in (124, 199, 200, 4_000)]
    [120, 190, 50, 500]
    >>> [resolve_budget(rows, pac=None).pac for rows in (124, 242, 4_000, 30_000)]
    [10, 1, 10, 10]
    >>> resolve_budget(30_000, pac=10, epochs=2).total_steps
    120
    >>> [resolve_budget(rows, pac=10).shared_packs for rows in (242, 799, 800, 30_000)]
    [False, False, True, True]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable

from ..exceptions import InvalidParameterError

if TYPE_CHECKING:
    from torch import nn

DEFAULT_BATCH = 500
#: The batch is at most this share of the training rows ...
MAX_BATCH_SHARE = 0.25
#: ... except on tables with fewer rows, which train on batches of all their rows.
MIN_ROWS_QUARTER_BATCH = 200
DEFAULT_EPOCHS = 300
#: When neither epochs nor steps is given, a table trains for DEFAULT_EPOCHS epochs' worth of steps, but at
#: least MIN_STEPS (small tables) and at most MAX_STEPS (large ones: 10,000 steps of batch 500 are 5M rows).
MIN_STEPS = 3000
MAX_STEPS = 10_000
#: Table-sized packs: at most MAX_PAC rows a pack, at least MIN_PACKS packs a batch.
MAX_PAC = 10
MIN_PACKS = 50
#: Tables with fewer rows keep packs of MAX_PAC (single-row packs memorised a 124-row table).
MIN_ROWS_SMALL_PACKS = 200
assert MIN_ROWS_SMALL_PACKS >= MIN_ROWS_QUARTER_BATCH  # resolve_budget's pac=None branch relies on it
#: Batches of at least this many packs share one condition per pack by default (``pack_conditions=None``).
MIN_SHARED_PACKS = 20


#: The default budget's time limit: a run sized by the rules above is cut to what about TIME_BUDGET seconds
#: per BUDGET_ROWS training rows (never less than TIME_BUDGET) buy on the reference CPU, by ``step_seconds``'
#: estimate - so ``synthgan fit`` on a 10,000-row table (8,000 training rows) trains for about 100 s there -
#: but never fewer than MIN_TIMED_STEPS steps. Where the default steps do not fit, the every-column term
#: (``"columns"``, when the defaults put it there) is left out first - it is a quarter to a half of a step's
#: cost on such tables - and only then are steps cut (``within_time``).
TIME_BUDGET = 100.0
BUDGET_ROWS = 10_000
MIN_TIMED_STEPS = 1000
#: A step on the reference CPU (the benchmark machine's 2 cores, torch's CPU build), in seconds:
#: STEP_SECONDS + batch / DEFAULT_BATCH * (BATCH_SECONDS + ADVERSARIAL_PARAM_SECONDS * the generator's and
#: critic's parameters + AUXILIARY_PARAM_SECONDS * the auxiliary predictors'). Least squares over the
#: default model's steps on heart disease, hepatitis, Adult (1,000 and 8,000 rows), credit default (8,000)
#: and diabetes-130 (2,000 and 8,000; 0.6M-6.0M parameters, 8-84 ms a step), the large three also without
#: the every-column term (``results/step_costs_calibration.json``): within 10% of each but heart's. A later
#: run of ``benchmarks/step_costs.py`` measured 1.01-1.44x the estimate: this VM's speed drifts.
STEP_SECONDS = 0.0082
BATCH_SECONDS = 0.0059
ADVERSARIAL_PARAM_SECONDS = 6.7e-9
AUXILIARY_PARAM_SECONDS = 75e-9


def n_parameters(*modules) -> int:
    """Parameters of the modules (what ``step_seconds`` counts)."""
    return sum(p.numel() for m in modules for p in m.parameters())


def auxiliary_parameters(objectives: Iterable[nn.Module], batch_size: int) -> float:
    """The auxiliary terms' parameters as ``step_seconds`` counts them: each term's times the share of a
    batch it scores (``Objective.scored_share``: all of it unless the term takes fewer rows)."""
    return sum(n_parameters(o) * o.scored_share(batch_size) for o in objectives)


def step_seconds(adversarial: int, auxiliary: float, batch_size: int) -> float:
    """Estimated seconds of one training step on the reference CPU, from the number of parameters of the
    adversarial networks (generator and critic) and of the auxiliary predictors (``auxiliary_parameters``:
    each counted at the share of a batch it scores).

    Example:
        >>> round(step_seconds(1_000_000, 0, 500), 4), round(step_seconds(1_000_000, 150_000, 500), 4)
        (0.0208, 0.0321)
    """
    per_param = ADVERSARIAL_PARAM_SECONDS * adversarial + AUXILIARY_PARAM_SECONDS * auxiliary
    return STEP_SECONDS + batch_size / DEFAULT_BATCH * (BATCH_SECONDS + per_param)


@dataclass(frozen=True)
class Budget:
    batch_size: int
    steps_per_epoch: int
    total_steps: int
    pac: int
    #: What set ``total_steps``: "epochs", "steps" (given), or by default "epochs_default" (DEFAULT_EPOCHS
    #: epochs' worth), "min_steps", "max_steps", "time" (cut to the time budget by ``within_time``) or
    #: "time_floor" (MIN_TIMED_STEPS, more than the time budget buys).
    rule: str = "epochs_default"
    #: ``step_seconds``' estimate for the whole run (None before ``within_time`` has seen the networks).
    estimated_seconds: float | None = None
    #: Whether the default every-column term was left out to fit the time budget (``within_time``).
    without_columns: bool = False

    @property
    def epochs(self) -> int:
        return math.ceil(self.total_steps / self.steps_per_epoch)

    def describe(self) -> str:
        """What set the steps, for a summary line ("" when epochs or steps were given).

        Example:
            >>> resolve_budget(242, pac=10).describe()
            'default budget: at least 3,000 steps'
        """
        if self.rule in ("epochs", "steps"):
            return ""
        rule = {
            "epochs_default": f"{DEFAULT_EPOCHS} epochs' worth",
            "min_steps": f"at least {MIN_STEPS:,} steps",
            "max_steps": f"at most {MAX_STEPS:,} steps",
            "time": f"what {TIME_BUDGET:.0f} s per {BUDGET_ROWS:,} training rows buy",
            "time_floor": f"at least {MIN_TIMED_STEPS:,} steps, over the time budget",
        }[self.rule]
        seconds = (
            "" if self.estimated_seconds is None else f", about {self.estimated_seconds:.0f} s on 2 CPU cores"
        )
        left_out = ", without the every-column term" if self.without_columns else ""
        return f"default budget: {rule}{seconds}{left_out}"

    @property
    def shared_packs(self) -> bool:
        """Whether a pack's rows share one condition by default: packs of several rows, and at least
        ``MIN_SHARED_PACKS`` of them a batch."""
        return self.pac > 1 and self.batch_size // self.pac >= MIN_SHARED_PACKS


def auto_batch_size(n_rows: int, pac: int) -> int:
    """``DEFAULT_BATCH`` rows, or a quarter of the rows if fewer (all of them under ``MIN_ROWS_QUARTER_BATCH``
    rows), rounded down to a multiple of ``pac`` (at least one pack, and at least 2 rows for the generator's
    batch norm)."""
    rows = min(DEFAULT_BATCH, _batch_rows(n_rows))
    return max(pac * max(1, math.ceil(2 / pac)), rows // pac * pac)


def _batch_rows(n_rows: int) -> int:
    """Rows a default batch holds before rounding to ``pac`` and capping at ``DEFAULT_BATCH``."""
    return n_rows if n_rows < MIN_ROWS_QUARTER_BATCH else int(n_rows * MAX_BATCH_SHARE)


def auto_pac(batch_rows: int) -> int:
    """Rows per critic pack for a batch of ``batch_rows``: the largest number up to ``MAX_PAC`` that divides
    the batch and leaves it at least ``MIN_PACKS`` packs (1 for batches under 100 rows). It depends on the
    batch alone, so a run that continues from its batch gets the packs it trained with."""
    top = max(1, min(MAX_PAC, batch_rows // MIN_PACKS))
    return next(p for p in range(top, 0, -1) if batch_rows % p == 0)


def resolve_budget(
    n_rows: int,
    pac: int | None,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
) -> Budget:
    """The batch size (a given one is rounded up to a multiple of a given ``pac``, with a warning), steps per
    epoch (rows // batch, at least 1), total steps and rows per critic pack (``pac=None``: ``auto_pac`` of
    the batch)."""
    if epochs is not None and steps is not None:
        raise InvalidParameterError(f"give epochs or steps, not both (epochs={epochs}, steps={steps})")
    if batch_size is not None and batch_size < 2:
        raise InvalidParameterError(
            f"batch_size={batch_size} is too small: the generator's batch norm needs at least 2 rows"
        )
    if pac is None and n_rows < MIN_ROWS_SMALL_PACKS:
        pac = MAX_PAC  # a tiny table: the paper's packs, so the critic cannot single out one row
    if pac is None:  # table-sized packs: the batch as given (or sized to the table), never rounded
        if batch_size is None:
            # here n_rows >= MIN_ROWS_SMALL_PACKS (200) >= MIN_ROWS_QUARTER_BATCH: a quarter, >= 50 rows
            batch = min(DEFAULT_BATCH, _batch_rows(n_rows))
        else:
            batch = batch_size
        pac = auto_pac(batch)
    elif batch_size is None:
        batch = auto_batch_size(n_rows, pac)
    else:
        batch = -(-batch_size // pac) * pac
        if batch != batch_size:
            warnings.warn(
                f"batch_size={batch_size} is not a multiple of pac={pac}; using batch_size={batch}",
                UserWarning,
                stacklevel=4,
            )
    per_epoch = max(1, n_rows // batch)
    if steps is not None:
        total, rule = steps, "steps"
    elif epochs is not None:
        total, rule = epochs * per_epoch, "epochs"
    else:
        worth = DEFAULT_EPOCHS * per_epoch
        total = min(MAX_STEPS, max(MIN_STEPS, worth))
        rule = "min_steps" if worth < MIN_STEPS else "max_steps" if worth > MAX_STEPS else "epochs_default"
    return Budget(batch, per_epoch, total, pac, rule)


def within_time(
    budget: Budget, adversarial: int, auxiliary: float, n_rows: int, droppable: float = 0
) -> Budget:
    """``budget`` with its estimated seconds (``step_seconds``); a default one (not given in epochs or steps)
    fitted to the time budget - ``TIME_BUDGET`` seconds per ``BUDGET_ROWS`` training rows, at least
    ``TIME_BUDGET`` - by leaving out the every-column term first (``droppable``: its parameters as
    ``auxiliary_parameters`` counts them, when the defaults put it there; ``without_columns``), then cutting
    steps, never below ``MIN_TIMED_STEPS``.

    Example:
        >>> b = within_time(resolve_budget(8_000, pac=10), 5_500_000, 500_000, 8_000, droppable=500_000)
        >>> b.without_columns, b.rule, b.total_steps, round(b.estimated_seconds)
        (True, 'time', 1962, 100)
    """
    per_step = step_seconds(adversarial, auxiliary, budget.batch_size)
    if budget.rule not in ("epochs", "steps"):
        allowed = TIME_BUDGET * max(1.0, n_rows / BUDGET_ROWS)
        if droppable and budget.total_steps * per_step > allowed:
            per_step = step_seconds(adversarial, auxiliary - droppable, budget.batch_size)
            budget = replace(budget, without_columns=True)
        steps = int(allowed / per_step)
        if steps < budget.total_steps:
            floor = steps < MIN_TIMED_STEPS
            budget = replace(
                budget, total_steps=max(MIN_TIMED_STEPS, steps), rule="time_floor" if floor else "time"
            )
    return replace(budget, estimated_seconds=budget.total_steps * per_step)


def terms_within_time(task, terms: list, seed: int, budget: Budget, asked, trained=None) -> tuple:
    """(objectives, budget): the loss terms ``terms`` built for ``task`` (``build_objectives``, networks
    seeded from ``seed``) and ``budget`` within the time budget (``within_time``), the every-column term left
    out when the defaults put it there (``asked``: the terms the user named) and the steps need it. A
    continued run (``trained``: the names of the terms it trained with) rebuilds exactly those terms."""
    from torch import nn

    from .objectives import build_objectives

    objectives = build_objectives(task, terms, seed)
    default = [o for o in objectives if o.name == "columns" and "columns" not in (asked or {})]
    if trained is None:
        droppable = auxiliary_parameters(default, budget.batch_size)
        budget = networks_within_time(budget, task, objectives, droppable)
    else:
        budget = replace(budget, without_columns=bool(default) and "columns" not in trained)
    if budget.without_columns:  # the trainer re-draws every weight (init_weights): as if built without it
        objectives = nn.ModuleList(o for o in objectives if o.name != "columns")
    return objectives, budget if trained is None else networks_within_time(budget, task, objectives)


def networks_within_time(budget: Budget, task, objectives, droppable: float = 0) -> Budget:
    """``within_time`` for the networks a run trains (``droppable``: the parameters of a term it may leave
    out, as ``auxiliary_parameters`` counts them; none for a continued run)."""
    adversarial = n_parameters(task.generator, task.critic)
    aux = auxiliary_parameters(objectives, budget.batch_size)
    return within_time(budget, adversarial, aux, task.data.n_rows, droppable)
