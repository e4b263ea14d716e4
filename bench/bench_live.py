"""`python -m bench live`: see bench/live.py."""
from bench.live import main  # noqa: F401
