"""synthgan: synthetic tabular and medical data with conditional and Wasserstein GANs, gated before export.

Example:
    >>> from synthgan import load_table, Schema, TableTransformer
    >>> from synthgan.data import load_heart_disease
    >>> df = load_heart_disease()
    >>> Schema.infer(df)["age"].kind
    'integer'
"""

from ._version import __version__
from .io.tabular import load_table
from .evaluation import Report, evaluate
from .schema import ColumnSpec, Schema
from .io.images import ImageSet, load_images
from .synthesizers import CTGAN, WGAN, ImageGAN
from .transform import TableTransformer
from .augment import SyntheticOversampler

__all__ = [
    "CTGAN",
    "WGAN",
    "ImageGAN",
    "ImageSet",
    "load_images",
    "SyntheticOversampler",
    "ColumnSpec",
    "Report",
    "Schema",
    "TableTransformer",
    "__version__",
    "evaluate",
    "load_table",
]
