"""README's runnable examples run as written (in a scratch folder), and print what README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def section_code(title: str) -> str:
    """The first ```python block after the README heading ``title``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return re.search(r"```python\n(.+?)\n```", text[start:], re.S).group(1)


def test_training_examples_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = section_code("Training")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0] == "70 400"
    score, stopped = printed[1].split()
    assert 0.5 < float(score) < 1 and stopped in ("epochs", "early_stopping")
    assert {p.name for p in tmp_path.iterdir()} == {"losses.csv", "run.ckpt", "model.synthgan"}


def test_benchmark_ratios_match_the_harness_results():
    """The README's speed table quotes benchmarks/results/harness.md's ratio table, figure for figure."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Benchmarks") :]
    results = (ROOT / "benchmarks" / "results" / "harness.md").read_text(encoding="utf-8")
    ratios = {}
    for line in results[results.index("Ratios at equal epochs") :].splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[1].isdigit():
            ratios[cells[0]] = cells[2:6]  # preprocessing, per epoch, sampling, peak memory
    names = {
        "adult": "Adult",
        "heart": "heart disease",
        "kidney": "chronic kidney disease",
        "diabetes": "diabetes-130",
    }
    for key, name in names.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| {name} ("))
        cells = [c.strip() for c in row.strip("|").split("|")]
        quoted = [cells[1], cells[2], cells[3], cells[4].split(" ")[0]]
        expected = [ratios[key][0], ratios[key][1], ratios[key][2], ratios[key][3]]
        # sampling ratios are quoted to three significant figures
        assert quoted[:2] + [quoted[3]] == expected[:2] + [expected[3]], (name, quoted, expected)
        assert abs(float(quoted[2].rstrip("x")) - float(expected[2].rstrip("x"))) < 0.051, (
            name,
            quoted,
            expected,
        )
