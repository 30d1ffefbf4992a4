"""Chart images (PNG) for /stats, drawn with matplotlib in a font that has Vietnamese letters.

Margins are fixed rather than measured (`bbox_inches="tight"` draws every figure twice), and the
bar chart writes each place's name and count above its bar, so no label needs room beside the
axes: a chart costs one drawing pass.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["bar_chart", "stacked_weeks"]

matplotlib.rcParams["font.family"] = "DejaVu Sans"
WIDTH = 8.0  # inches, at 110 dots an inch: 880 pixels, sharp on a phone held upright


def _png(fig: Figure) -> bytes:
    """Figures without pyplot: safe to draw in worker threads, nothing kept afterwards."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def stacked_weeks(title: str, weeks: Sequence[str], series: dict[str, Sequence[int]],
                  ylabel: str) -> bytes:
    """Stories per week, one colour per kind; the legend between the title and the bars."""
    height = 4.8
    fig = Figure(figsize=(WIDTH, height))
    fig.subplots_adjust(left=0.09, right=0.98, top=1 - 1.0 / height, bottom=0.75 / height)
    ax = fig.subplots()
    positions = range(len(weeks))
    bottom = [0] * len(weeks)
    for label, values in series.items():
        ax.bar(positions, values, bottom=bottom, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    fig.suptitle(title, y=1 - 0.12 / height, fontsize=11)
    if series:
        fig.legend(loc="upper center", ncols=2, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 1 - 0.38 / height))
    ax.set_ylabel(ylabel)
    ax.set_xticks(list(positions), list(weeks), rotation=45)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], xlabel: str) -> bytes:
    """Stories per place, largest at the top, each bar under its place's name and count."""
    height = max(2.5, 0.42 * len(labels) + 1.3)
    fig = Figure(figsize=(WIDTH, height))
    fig.subplots_adjust(left=0.03, right=0.97, top=1 - 0.45 / height, bottom=0.75 / height)
    ax = fig.subplots()
    rows = list(range(len(labels)))[::-1]
    ax.barh(rows, values, height=0.45, color="#c0392b")
    for row, label, value in zip(rows, labels, values, strict=True):
        ax.text(0, row + 0.3, f"{label}: {value}", va="bottom", ha="left", fontsize=9)
    ax.set_yticks([])
    ax.set_ylim(-0.6, len(labels) - 0.1)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(fig)
