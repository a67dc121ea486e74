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
