"""The ``synthgan`` command line (installed as ``synthgan.cli``): thin shells over the library."""
