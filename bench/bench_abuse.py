"""`python -m bench abuse`: see bench/abuse.py."""
from bench.abuse import main  # noqa: F401
