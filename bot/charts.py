"""Chart images (PNG) for /stats, drawn with matplotlib in a font that has Vietnamese letters."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["bar_chart", "stacked_weeks"]

matplotlib.rcParams["font.family"] = "DejaVu Sans"


def _png(fig: Figure) -> bytes:
    """Figures without pyplot: safe to draw in worker threads, nothing kept afterwards."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def stacked_weeks(title: str, weeks: Sequence[str], series: dict[str, Sequence[int]],
                  ylabel: str) -> bytes:
    """Stories per week, one colour per kind."""
    fig = Figure(figsize=(8, 4.2))
    ax = fig.subplots()
    bottom = [0] * len(weeks)
    for label, values in series.items():
        ax.bar(weeks, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelrotation=45)
    if series:
        ax.legend(fontsize=8)
    return _png(fig)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], xlabel: str) -> bytes:
    """Stories per commune, largest at the top."""
    fig = Figure(figsize=(8, max(2.5, 0.35 * len(labels) + 1)))
    ax = fig.subplots()
    ax.barh(list(reversed(labels)), list(reversed(values)), color="#c0392b")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)
