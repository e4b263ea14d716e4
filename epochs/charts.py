"""Charts for the admin, rendered on the server as PNG."""
import base64
import io

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402

ETH = 10**18


def matched_vs_allocated_png(rows: list[tuple[str, int, int]]) -> bytes:
    """A grouped bar chart of (project, allocated, matched) in ETH."""
    labels = [f"{address[:6]}…{address[-4:]}" for address, _, _ in rows]
    positions = range(len(rows))
    figure, axes = pyplot.subplots(figsize=(max(6, len(rows) * 0.6), 4), dpi=100)
    try:
        axes.bar([p - 0.2 for p in positions], [a / ETH for _, a, _ in rows], width=0.4, label="allocated")
        axes.bar([p + 0.2 for p in positions], [m / ETH for _, _, m in rows], width=0.4, label="matched")
        axes.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=8)
        axes.set_ylabel("ETH")
        axes.set_title("Matched vs allocated per project")
        axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)


def as_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
