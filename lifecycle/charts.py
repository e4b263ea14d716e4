"""Charts for the admin, rendered on the server as PNG."""
import base64
import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator  # noqa: E402

from octant.core.display import token_amount  # noqa: E402

ETH = 10**18


def _tick(value, _position):
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text if value >= 1e-6 else f"{value:.0e}"


def matched_vs_allocated_png(rows: list[tuple[str, int, int]], *, title: str = "Allocated and matched per project"
                             ) -> bytes:
    """Horizontal bars of (label, allocated wei, matched wei) per project, on a log scale in ETH, each bar
    labelled with its amount: a project's allocations stay visible beside a matching share 1,000× larger."""
    rows = list(rows)
    height = 1.2 + 0.55 * max(len(rows), 1)
    figure, axes = pyplot.subplots(figsize=(9, height), dpi=100)
    try:
        positions = list(range(len(rows)))[::-1]  # first row on top
        positive = [v for _, a, m in rows for v in (a, m) if v > 0]
        low = min(positive) / ETH / 3 if positive else 1e-6
        high = max(positive) / ETH * 30 if positive else 1
        for offset, index, label, color in ((0.2, 1, "allocated", "#2b8cbe"), (-0.2, 2, "matched", "#f28e2b")):
            values = [row[index] / ETH for row in rows]
            bars = axes.barh([p + offset for p in positions], [v if v > 0 else low for v in values], height=0.38,
                             left=0, label=label, color=color,
                             alpha=1.0)
            for bar, row in zip(bars, rows):
                if row[index] <= 0:
                    bar.set_alpha(0)
                axes.text(max(row[index] / ETH, low) * 1.08, bar.get_y() + bar.get_height() / 2,
                          token_amount(row[index]), va="center", fontsize=7)
        axes.set_xscale("log")
        axes.set_xlim(low, high)
        axes.xaxis.set_major_locator(LogLocator(base=10))
        axes.xaxis.set_major_formatter(FuncFormatter(_tick))
        axes.set_yticks(positions, [label for label, _, _ in rows], fontsize=8)
        axes.set_xlabel("ETH (log scale: each step is 10×)")
        axes.set_title(title, fontsize=10)
        axes.legend(loc="lower right", fontsize=8)
        axes.grid(axis="x", which="major", alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


def as_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
