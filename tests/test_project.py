"""The project's own promises: README commands, CI calling the same test command, package layout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_two_commands_and_ci_runs_the_second():
    demo, tests = readme_commands()
    for command in (demo, tests):
        assert "python3.11 -m venv" in command and "pip install torch==2.13.0" in command
        assert command.index("torch==2.13.0") < command.index("pip install -e")
    assert demo.endswith("synthgan demo") and tests.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_cli_is_installed_under_the_synthgan_namespace():
    import synthgan.cli.app  # noqa: F401

    with pytest.raises(ImportError):
        __import__("cli.app")  # no bare top-level `cli` package


def test_modules_stay_small():
    for path in list((ROOT / "synthgan").rglob("*.py")) + list((ROOT / "cli").rglob("*.py")):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path


def test_console_script_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "synthgan.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and "demo" in out.stdout


def test_every_library_package_is_listed_for_installation():
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(path.parent.relative_to(ROOT).parts) for path in (ROOT / "synthgan").rglob("__init__.py")
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
