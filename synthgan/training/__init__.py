"""The training engine (engine.py) and what plugs into it: tasks, objectives, callbacks, checkpoints."""
