from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from rest_framework.test import APIClient

from allocations import selectors as allocation_selectors
from deposits.models import Budget
from epochs.models import FinalizedEpochSnapshot
from epochs.selectors import chain_view
from lifecycle.charts import matched_vs_allocated_png
from lifecycle.dashboard import dashboard_chart, duration_text, epoch_dashboard
from lifecycle.tasks import epochs_tick_task
from octant.core.fields import sum_wei

from tests.fixtures.chain import DURATION, START, WINDOW, take_pending_snapshot
from tests.fixtures.window import EPOCH, ETH, HOLDERS, PROJECTS, USERS, open_window, sign


def test_dashboard_figures_in_the_window_and_once_finalized(window):  # noqa: F811
    api = APIClient()
    assert api.post("/allocations/allocate", sign(USERS[0], [(PROJECTS[0], ETH), (PROJECTS[1], ETH // 300)], 0),
                    format="json").status_code == 201
    board = epoch_dashboard(view=chain_view())
    assert board.current.epoch == EPOCH + 1 and board.current.seconds_left == DURATION - 1
    figures = board.figures
    assert (figures.epoch, figures.state, figures.seconds_left) == (EPOCH, "allocation window open", WINDOW - 1)
    assert figures.users_with_budgets == 3 and figures.donors == 1
    assert figures.total_budgets == sum_wei(Budget.objects.filter(epoch=EPOCH), "amount")
    assert figures.allocations_sum == ETH + ETH // 300 and figures.matched_is_estimate
    assert figures.matched_rewards == allocation_selectors.estimated_matched_rewards(
        epoch=EPOCH, now=chain_view().now)
    assert [p.address for p in figures.top_projects] == PROJECTS[:2]
    assert dashboard_chart(figures).startswith("data:image/png;base64,")

    window.set_time(timestamp=START + EPOCH * DURATION + WINDOW + 1)
    epochs_tick_task.delay().get()
    figures = epoch_dashboard(view=chain_view()).figures
    snapshot = FinalizedEpochSnapshot.objects.get(epoch=EPOCH)
    assert (figures.state, figures.seconds_left, figures.matched_is_estimate) == ("finalized", None, False)
    assert (figures.matched_rewards, figures.leftover) == (snapshot.matched_rewards, snapshot.leftover)


def test_window_closes_with_the_props_of_the_epoch_it_runs_in(db, admin_client):
    """`chain configure` in epoch 4 (setEpochProps): 1500 s epochs with 100 s windows from epoch 5. Epoch 4's
    window runs in epoch 5 and closes after 100 s, as the Epochs contract has it, not after epoch 4's own
    400; epoch 3's runs in epoch 4 and keeps 400."""
    chain = open_window(HOLDERS, epoch=3)  # in epoch 4, epoch 3's window open
    call_command("chain", "configure", "--duration", "1500", "--decision-window", "100", stdout=StringIO())
    epoch_end = START + 4 * DURATION

    board = epoch_dashboard(view=chain_view())
    assert (board.current.epoch, board.current.end.timestamp(), board.current.duration) == (4, epoch_end, DURATION)
    assert (board.current.window_closes.timestamp(), board.current.decision_window) == (epoch_end + 100, 100)
    assert board.figures.epoch == 3 and board.figures.window_closes.timestamp() == START + 3 * DURATION + WINDOW

    chain.set_time(timestamp=epoch_end + 1)
    assert take_pending_snapshot() == 4
    board = epoch_dashboard(view=chain_view())
    assert (board.current.epoch, board.current.end.timestamp()) == (5, epoch_end + 1500)
    assert board.current.window_closes.timestamp() == epoch_end + 1500 + 100
    figures = board.figures
    assert (figures.epoch, figures.state, figures.seconds_left) == (4, "allocation window open", 99)
    assert figures.window_closes.timestamp() == epoch_end + 100
    closes = datetime.fromtimestamp(epoch_end + 100, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert f"(closes {closes} UTC)".encode() in admin_client.get("/admin/").content

    chain.set_time(timestamp=epoch_end + 101)  # the contract has closed the window; epoch 4's own props had not
    assert chain_view().pending is None
    figures = epoch_dashboard(view=chain_view()).figures
    assert (figures.epoch, figures.state, figures.seconds_left) == (4, "finalizing", None)


def test_chart_draws_zero_and_tiny_amounts_on_a_log_scale():
    png = matched_vs_allocated_png([("big", 300 * ETH, 10**21), ("tiny", 1, 0), ("none", 0, 0)])
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    assert matched_vs_allocated_png([]).startswith(b"\x89PNG")


def test_duration_text():
    assert [duration_text(s) for s in (0, 59, 61, 3600, 90061)] == ["0m 0s", "0m 59s", "1m 1s", "1h 0m", "1d 1h 1m"]


def test_dashboard_says_the_matched_rewards_are_capped(window, admin_client):  # noqa: F811
    """Issue 25, item 15: capped quadratic funding (epoch 4 on): a word on the cap beside the estimate."""
    assert epoch_dashboard(view=chain_view()).figures.matched_cap == Decimal("0.2")
    page = admin_client.get("/admin/").content.decode()
    assert "capped: a project's match is at most 20% of it" in page
