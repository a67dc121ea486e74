"""How synthgan's CTGAN cost grows and how close one training step runs to the machine.

1. Rows: seconds per epoch on Adult at 10k, 30k and 100k rows (100k = the complete rows repeated,
   so the layout width stays the same and only the row count changes); per-step time should stay flat.
2. Sampling: rows per second for 10k, 100k and 1M rows (linear in n means flat rows/s).
3. FLOPs: every matmul of one training step (batch 500) is recorded with its shapes, for synthgan and
   the reference ``ctgan`` on Adult and diabetes-130; the step's FLOPs over its time give achieved
   GFLOP/s, set beside the same matmuls replayed back to back as plain ``torch.mm`` calls (what this
   CPU can do for exactly those shapes), and a large square float32 / bfloat16 matmul.
4. Make-up of a step: kernel time inside its matmuls, inside Adam and in every other op, and the
   number of ops, for both systems (where the time that is not matmul goes).

    python benchmarks/bench_scaling.py          # -> results/scaling.{json,md}
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _data import adult, diabetes, discrete_columns
from harness import reference_fit
from torch.utils._python_dispatch import TorchDispatchMode

from synthgan._device import resolve_precision

RESULTS = Path(__file__).resolve().parent / "results"
ADDMMS = {torch.ops.aten.addmm.default, torch.ops.aten.addmm.out}  # (bias, a, b): the operands come second
MATMULS = {
    torch.ops.aten.mm.default,
    torch.ops.aten.mm.out,
    torch.ops.aten.bmm.default,
    torch.ops.aten.bmm.out,
    *ADDMMS,
}


class MatmulLog(TorchDispatchMode):
    """Records (batch, m, k, n, dtype) of every mm / addmm / bmm that runs while active."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, int, int, int, torch.dtype]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in MATMULS:
            a, b = (args[1], args[2]) if func in ADDMMS else (args[0], args[1])
            batch = a.shape[0] if a.dim() == 3 else 1
            self.shapes.append((batch, a.shape[-2], a.shape[-1], b.shape[-1], a.dtype))
        return func(*args, **(kwargs or {}))


#: Both systems' default batch size, which the step figures assume.
BATCH = 500


def steps_per_epoch(rows: int) -> int:
    return rows // BATCH


#: What a step's op time is split into.
KINDS = ("matmul", "optimizer", "other")
#: Optimizer kernels: counted as the optimizer's wherever they run (also outside an Optimizer.step record).
OPTIMIZER_KERNELS = {torch.ops.aten._fused_adam_.default, torch.ops.aten._fused_adamw_.default}


class OpClock(TorchDispatchMode):
    """Kernel time per kind of op while active: matmuls, the optimizer's (every op inside an
    optimizer step, marked by torch's global step hooks, and the fused Adam kernels wherever they
    run) and everything else, plus the number of non-view ops. The clock wraps each kernel call
    alone, so the mode's own Python cost stays outside."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = dict.fromkeys(KINDS, 0.0)
        self.ops, self.in_optimizer = 0, False

    def __enter__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

        self._hooks = (
            register_optimizer_step_pre_hook(lambda *_: setattr(self, "in_optimizer", True)),
            register_optimizer_step_post_hook(lambda *_: setattr(self, "in_optimizer", False)),
        )
        return super().__enter__()

    def __exit__(self, *exc):
        for hook in self._hooks:
            hook.remove()
        return super().__exit__(*exc)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        start = time.perf_counter()
        out = func(*args, **(kwargs or {}))
        elapsed = time.perf_counter() - start
        kind = (
            "matmul"
            if func in MATMULS
            else "optimizer"
            if self.in_optimizer or func in OPTIMIZER_KERNELS
            else "other"
        )
        self.seconds[kind] += elapsed
        self.ops += not func.is_view
        return out


def per_step(totals_of, frame: pd.DataFrame, epochs: int) -> dict:
    """What ``epochs`` more epochs add per step: ``totals_of(n_epochs)`` fits ``n_epochs`` epochs under an
    instrument and returns its totals; a one-epoch fit's are subtracted (setup cancels out)."""
    short, long = totals_of(1), totals_of(1 + epochs)
    steps = epochs * steps_per_epoch(len(frame))
    return {k: (long[k] - short[k]) / steps for k in long}


def step_breakdown(system: str, frame: pd.DataFrame, discrete: list[str], epochs: int = 2) -> dict:
    """Kernel milliseconds per step in matmuls, in the optimizer and in the rest, and the non-view
    ops per step, over a fit of ``epochs`` epochs minus a one-epoch fit."""

    def clocked(n_epochs: int) -> dict:
        with OpClock() as clock:
            new_model(system, n_epochs).fit(frame, discrete)
        return clock.seconds | {"ops": clock.ops}

    per = per_step(clocked, frame, epochs)
    return {f"{k}_kernel_ms": per[k] * 1e3 for k in KINDS} | {"ops_per_step": per["ops"]}


def profiled_breakdown(system: str, frame: pd.DataFrame, discrete: list[str], epochs: int = 2) -> dict:
    """The same make-up by torch's profiler (kineto, in C++: no Python between the ops as with the
    dispatch clock, whose own cost leaves every kernel colder): self time of every aten op per step,
    matmuls, the optimizer's (inside an ``Optimizer.step`` record, or a fused Adam kernel) and the
    rest. ``epochs`` epochs minus one, as above (no wall time: the reference's preprocessing, in both fits,
    varies by more than the steps take)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]):  # the profiler's first start is slow: not in a timed run
        torch.zeros(1).add_(1)

    def profiled(n_epochs: int) -> dict:
        totals = dict.fromkeys(KINDS, 0.0)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            new_model(system, n_epochs).fit(frame, discrete)
        for event in prof.events():
            if event.name.startswith("aten::"):
                totals[_profiled_kind(event)] += event.self_cpu_time_total / 1e6
        return totals

    return {f"profiled_{k}_ms": v * 1e3 for k, v in per_step(profiled, frame, epochs).items()}


#: The profiler's names of the same kernels (one name for all overloads: ``mm(out=)`` is "aten::mm" too).
PROFILED_MATMULS = {op.name().split(".")[0] for op in MATMULS}
PROFILED_OPTIMIZER = {op.name().split(".")[0] for op in OPTIMIZER_KERNELS}


def _profiled_kind(event) -> str:
    if event.name in PROFILED_MATMULS:
        return "matmul"
    if event.name in PROFILED_OPTIMIZER:
        return "optimizer"
    parent = event.cpu_parent
    while parent is not None:
        if parent.name.startswith("Optimizer.step"):
            return "optimizer"
        parent = parent.cpu_parent
    return "other"


def flops(shapes) -> float:
    return float(sum(2 * bt * m * k * n for bt, m, k, n, _ in shapes))


def replay_seconds(shapes, repeat: int = 5) -> float:
    """Time the recorded matmuls as plain torch.mm on contiguous operands of the recorded dtype (median of runs)."""
    operands = [
        (torch.randn(bt, m, k, dtype=dt).squeeze(0), torch.randn(bt, k, n, dtype=dt).squeeze(0))
        for bt, m, k, n, dt in shapes
    ]
    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        for a, b in operands:
            torch.matmul(a, b)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs[1:])


def square_gflops(dtype: torch.dtype, size: int = 2048) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    start = time.perf_counter()
    for _ in range(3):
        a @ b
    return 3 * 2 * size**3 / (time.perf_counter() - start) / 1e9


#: The systems a step is measured for: synthgan at its default precision, synthgan in float32 (the reference's
#: dtype: the same code with matmuls ~2-3x slower, which shows what the rest of the step costs beside them)
#: and the reference.
SYSTEMS = ("synthgan", "synthgan-float32", "ctgan")


def new_model(system: str, epochs: int):
    """An unfitted CTGAN of ``system`` (one of ``SYSTEMS``) with default settings, quiet."""
    if system.startswith("synthgan"):
        from synthgan import CTGAN

        precision = "float32" if system == "synthgan-float32" else "auto"
        return CTGAN.classic(epochs=epochs, random_state=0, verbose=False, precision=precision)
    from ctgan import CTGAN

    return CTGAN(epochs=epochs, verbose=False)


def one_step_shapes(system: str, frame: pd.DataFrame, discrete: list[str]):
    """The matmuls of one training step (batch 500): one epoch is recorded and split into its equal steps."""
    steps = steps_per_epoch(len(frame))
    with MatmulLog() as log:
        new_model(system, 1).fit(frame, discrete)
    assert len(log.shapes) % steps == 0, "steps differ in their matmuls"
    return log.shapes[: len(log.shapes) // steps]


def step_seconds(system: str, frame: pd.DataFrame, discrete: list[str], epochs: int = 3) -> float:
    """Seconds per training step (after a warm-up fit): synthgan's median epoch after the first over
    ``epochs`` epochs (a 10k-row epoch is 20 steps, ~0.2 s: one epoch alone swings +-20% here); the
    reference's mean epoch (it reports no per-epoch times; its epochs are ~1 s and more)."""
    steps = steps_per_epoch(len(frame))
    new_model(system, 1).fit(frame.iloc[:BATCH], discrete)  # warm-up
    if system.startswith("synthgan"):
        model = new_model(system, epochs).fit(frame, discrete)
        per_epoch = np.diff(np.r_[0.0, model.loss_values_["seconds"].to_numpy()])
        return float(np.median(per_epoch[1:] if epochs > 1 else per_epoch)) / steps
    pre, fit = reference_fit(new_model(system, epochs), frame, discrete)
    return (fit - pre) / epochs / steps


def rows_scaling() -> list[dict]:
    from synthgan import CTGAN

    base = adult(complete_rows_only=True)
    discrete = discrete_columns(base)
    out = []
    for n in (10_000, 30_000, 100_000):
        frame = pd.concat([base] * (n // len(base) + 1)).iloc[:n].reset_index(drop=True)
        seconds = step_seconds("synthgan", frame, discrete, epochs=5)
        out.append(
            {"rows": n, "seconds_per_step": seconds, "seconds_per_epoch": seconds * steps_per_epoch(n)}
        )
        print(out[-1], flush=True)
    model = CTGAN.classic(epochs=1, random_state=0, verbose=False).fit(base, discrete)
    model.sample(1000)
    for n in (10_000, 100_000, 1_000_000):
        start = time.perf_counter()
        model.sample(n)
        out.append({"sample_rows": n, "rows_per_s": n / (time.perf_counter() - start)})
        print(out[-1], flush=True)
    return out


def step_efficiency() -> list[dict]:
    tables = {"adult": adult(complete_rows_only=True)}  # 10,000 rows of each, the same rows for both systems
    tables["diabetes"] = diabetes().drop(columns=["encounter_id", "patient_nbr"])
    tables = {
        name: frame.sample(10_000, random_state=0).reset_index(drop=True) for name, frame in tables.items()
    }
    out = []
    for name, frame in tables.items():
        discrete = discrete_columns(frame)
        for c in frame.columns:  # the reference takes no missing values
            frame[c] = frame[c].fillna("missing") if c in discrete else frame[c].fillna(frame[c].median())
        for system in SYSTEMS:
            shapes = one_step_shapes(system, frame, discrete)
            step = step_seconds(system, frame, discrete, epochs=2 if system == "ctgan" else 9)
            replay = replay_seconds(shapes)
            row = {
                "data": name,
                "system": system,
                "gflop_per_step": flops(shapes) / 1e9,
                "matmuls_per_step": len(shapes),
                "seconds_per_step": step,
                "achieved_gflops": flops(shapes) / step / 1e9,
                "same_matmuls_plain_s": replay,
                "same_matmuls_plain_gflops": flops(shapes) / replay / 1e9,
            }
            row["matmul_share_of_step"] = replay / step
            row |= step_breakdown(system, frame, discrete)
            row |= profiled_breakdown(system, frame, discrete)
            out.append(row)
            print(row, flush=True)
    return out


def main() -> None:
    warnings.simplefilter("ignore")
    RESULTS.mkdir(exist_ok=True)
    result = {
        "square_2048_gflops": {
            "float32": square_gflops(torch.float32),
            "bfloat16": square_gflops(torch.bfloat16),
        },
        "threads": torch.get_num_threads(),
        "synthgan_precision": str(resolve_precision("auto", torch.device("cpu")) or torch.float32),
    }
    print(result, flush=True)
    result["step"] = step_efficiency()
    result["scaling"] = rows_scaling()
    (RESULTS / "scaling.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result)


def write_markdown(result: dict) -> None:
    sq = result["square_2048_gflops"]
    lines = [
        "# How close a training step runs to the machine, and how cost grows",
        "",
        f"Plain square matmul on this CPU ({result['threads']} threads): float32 {sq['float32']:.0f} GFLOP/s, "
        f'bfloat16 {sq["bfloat16"]:.1f} GFLOP/s. synthgan trains at `precision="auto"` ({result["synthgan_precision"]}); '
        '`synthgan-float32` is the same code at `precision="float32"`, the reference\'s dtype. '
        "Matmuls are replayed in the dtype they ran in.",
        "",
        "| data | system | GFLOP per step | matmuls | s per step | achieved GFLOP/s | same matmuls as plain torch.mm (s) | their GFLOP/s | matmul share of the step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["step"]:
        lines.append(
            f"| {r['data']} | {r['system']} | {r['gflop_per_step']:.2f} | {r['matmuls_per_step']} | {r['seconds_per_step']:.3f} | "
            f"{r['achieved_gflops']:.0f} | {r['same_matmuls_plain_s']:.3f} | {r['same_matmuls_plain_gflops']:.0f} | {r['matmul_share_of_step']:.0%} |"
        )
    lines += [
        "",
        "What one step is made of: kernel time inside its matmuls, inside Adam and in every other op, each kernel call "
        "timed alone (a TorchDispatchMode clock; 2 epochs minus 1, so setup cancels). The kernels' sum is below the step's "
        "wall time by the Python between them; the matmuls inside a step run slower than the same matmuls replayed back "
        "to back on warm operands.",
        "",
        "| data | system | non-view ops per step | matmul kernels (ms) | Adam kernels (ms) | other kernels (ms) | matmul share of kernel time |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += makeup_rows(result["step"], "", "_kernel_ms", ops=True)
    lines += [
        "",
        "The same make-up by torch's profiler (self time of every aten op, recorded in C++: no Python runs between "
        "the ops, which under the dispatch clock leaves every kernel colder; the profiler's own cost per op is small).",
        "",
        "| data | system | matmul (ms) | Adam (ms) | other ops (ms) | matmul share of op time |",
        "|---|---|---|---|---|---|",
    ]
    lines += makeup_rows(result["step"], "profiled_", "_ms", ops=False)
    lines += [
        "",
        "Time per epoch against rows (Adult, rows repeated to 100k so the width is fixed) and sampling against n:",
        "",
        "| rows | s per step | s per epoch |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['rows']:,} | {r['seconds_per_step']:.4f} | {r['seconds_per_epoch']:.2f} |"
        for r in result["scaling"]
        if "rows" in r
    ]
    lines += ["", "| rows sampled | rows/s |", "|---|---|"]
    lines += [
        f"| {r['sample_rows']:,} | {r['rows_per_s']:,.0f} |" for r in result["scaling"] if "sample_rows" in r
    ]
    (RESULTS / "scaling.md").write_text("\n".join(lines) + "\n")


def makeup_rows(steps: list[dict], prefix: str, suffix: str, ops: bool) -> list[str]:
    """Markdown rows of a step's make-up (matmul, optimizer, other ms and the matmul share) from the
    result keys ``prefix + kind + suffix``; with the op count first if ``ops``."""
    rows = []
    for r in steps:
        if f"{prefix}matmul{suffix}" not in r:
            continue
        parts = [r[f"{prefix}{kind}{suffix}"] for kind in KINDS]
        lead = [f"{r['ops_per_step']:.0f}"] if ops else []
        cells = [r["data"], r["system"], *lead, *(f"{v:.2f}" for v in parts), f"{parts[0] / sum(parts):.0%}"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


if __name__ == "__main__":
    sys.exit(main())
