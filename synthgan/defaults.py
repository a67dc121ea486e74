"""Defaults the command line shows in its help, kept in a module that imports nothing heavy (so that
``synthgan --help`` answers without loading torch, pandas or scikit-learn)."""

#: Share of rows kept out of training by ``synthgan fit`` (the privacy baseline of the gate).
DEFAULT_HOLDOUT = 0.2
#: Images per side the evaluation uses (seeded subsamples); feature extraction dominates its cost.
DEFAULT_MAX_IMAGES = 500
