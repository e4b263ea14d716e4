from rest_framework.test import APIClient

from allocations import selectors as allocation_selectors
from deposits.models import Budget
from epochs.models import FinalizedEpochSnapshot
from epochs.selectors import chain_view
from lifecycle.charts import matched_vs_allocated_png
from lifecycle.dashboard import dashboard_chart, duration_text, epoch_dashboard
from lifecycle.tasks import epochs_tick_task
from octant.core.fields import sum_wei

from tests.fixtures.chain import DURATION, START, WINDOW
from tests.fixtures.window import EPOCH, ETH, PROJECTS, USERS, sign


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


def test_chart_draws_zero_and_tiny_amounts_on_a_log_scale():
    png = matched_vs_allocated_png([("big", 300 * ETH, 10**21), ("tiny", 1, 0), ("none", 0, 0)])
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    assert matched_vs_allocated_png([]).startswith(b"\x89PNG")


def test_duration_text():
    assert [duration_text(s) for s in (0, 59, 61, 3600, 90061)] == ["0m 0s", "0m 59s", "1m 1s", "1h 0m", "1d 1h 1m"]
