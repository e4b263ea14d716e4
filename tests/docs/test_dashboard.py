"""The Grafana dashboard (docs/grafana-dashboard.json) and README's alerts name only series that
octant/core/metrics.py defines."""
import json
import re
from pathlib import Path

from prometheus_client.metrics import MetricWrapperBase

from octant.core import metrics

ROOT = Path(__file__).resolve().parents[2]
SERIES = re.compile(r"\boctant_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def _defined() -> set[str]:
    names = {m._name for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)}
    return names | {"octant_celery_queue_length"}  # read from the broker at each scrape (QueueCollector)


def _family(series: str) -> str:
    for suffix in SUFFIXES:
        if series.endswith(suffix) and series.removesuffix(suffix) in _defined():
            return series.removesuffix(suffix)
    return series


def test_the_dashboard_and_the_alerts_name_defined_series():
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    readme = (ROOT / "README.md").read_text().split("## Metrics and logs")[1].split("\n## ")[0]
    used = {_family(s) for text in [*exprs, readme] for s in SERIES.findall(text)}
    assert used - _defined() == set()
    assert _defined() - {_family(s) for e in exprs for s in SERIES.findall(e)} == set()  # every series shown
