"""Every runnable example in the library's docstrings runs and gives what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import synthgan


def library_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(synthgan.__path__, "synthgan.") if ".cli" not in m.name
    )


@pytest.mark.parametrize("name", library_modules())
def test_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
