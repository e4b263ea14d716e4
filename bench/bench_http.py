"""`python -m bench http`: see bench/http.py."""
from bench.http import main  # noqa: F401
