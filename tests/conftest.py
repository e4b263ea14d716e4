"""Shared fixtures live in fixture modules (tests/fixtures), loaded for every test here."""
pytest_plugins = [
    "tests.fixtures.chain",  # api, chain, scheduled_chain; START, DURATION, WINDOW; sync()
    "tests.fixtures.window",  # window: epoch 4's allocation window with three budgets; sign()
    "tests.fixtures.safe",  # safe_window, safe_service: a 2-of-3 Safe and its Transaction Service
    "tests.fixtures.http",  # http_stub: a scripted HTTP server on 127.0.0.1
    "tests.fixtures.locks",  # two_epochs: locks and unlocks through the `chain` commands
]
