"""Reading tables (and, with later modules, writing outputs and model files)."""

from .tabular import load_table

__all__ = ["load_table"]
