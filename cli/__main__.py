"""``python -m synthgan.cli``: the same as the ``synthgan`` console script."""

from .app import main

main()
