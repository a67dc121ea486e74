"""Drop-in layers for users of other libraries (``synthgan.compat.ctgan`` for the reference ``ctgan``)."""
