"""The workbook's five sheets, built from storage's counts, stories and nominations.

Runs in the writing process or a worker thread (bot.export_child): never on the event loop.

Tổng hợp (by commune and kind), Theo nội dung thi đua (by the plan's contents, which the summary
report follows), Theo địa bàn (every commune in scope, with none left out), Danh sách (every
story) and Đề nghị khen thưởng (the nominations): names instead of keys, dates as dates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from bot.content import Catalogue
from bot.export import ExportRange, Labels, Period, day_text, headers, range_text, story_cells
from bot.storage import Count, Nomination
from bot.workbook import Column, Table, Title, save_workbook
from bot.workflow import STATUSES

__all__ = ["write_book"]

Story = Sequence[Any]  # a story's values of bot.export.FIELDS, in that order

LIST_WIDTHS = (7, 12, 12, 24, 30, 24, 22, 24, 24, 36, 60, 16, 20, 14, 10, 10, 8, 10, 10, 30, 30,
               34, 24, 24)
LIST_STYLES = {1: "date", 2: "date", 9: "wrap", 10: "wrap", 19: "wrap"}
PHONE, RESIDENT_CONTACT = 13, 23
NOMINATION_WIDTHS = (7, 34, 50, 22, 36, 24, 16, 20, 12)
NOMINATION_STYLES = {2: "wrap", 4: "wrap", 8: "date"}


def _scope_text(labels: Labels, scope: frozenset[int] | None) -> str:
    if scope is None:
        return labels.plain("export.scope_province")
    if 0 < len(scope) <= 3:
        return ", ".join(labels.place(code) for code in sorted(scope, key=labels.place_order))
    return labels.plain("export.scope_many", count=len(scope))


class _Pivot:
    """Counts by status, and by kind, for one row of a breakdown."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.kind: Counter[str] = Counter()

    def add(self, c: Count) -> None:
        self.status[c.status] += c.n
        self.kind[c.kind] += c.n


class _Breakdowns:
    """The three tables of counts, sharing their columns and words."""

    def __init__(self, labels: Labels, counts: list[Count], period: Period,
                 campaigns: list[str]) -> None:
        self.labels = labels
        self.counts = counts
        self.scope = period.scope
        self.campaigns = campaigns  # the campaigns the export covers, in the registry's order
        known = {k.value: k.label(labels.language) for k in labels.campaigns.kinds()}
        self.kind_names = {**known, **{c.kind: c.kind for c in counts if c.kind not in known}}
        self.kinds = list(self.kind_names)
        self.total = labels.plain("export.total")
        self.summary_heads = headers(labels, "export.summary_headers")

    def _status_columns(self) -> list[Column]:
        return [Column(self.labels.status(s), 12, total=True) for s in STATUSES]

    def _kind_columns(self) -> list[Column]:
        return [Column(self.kind_names[k], 14, total=True) for k in self.kinds]

    def _numbers(self, pivot: _Pivot, by_kind: bool = True) -> list[int]:
        kinds = [pivot.kind[k] for k in self.kinds] if by_kind else []
        return [*kinds, *(pivot.status[s] for s in STATUSES), sum(pivot.status.values())]

    def _groups(self, first: int) -> list[tuple[int, int, str]]:
        statuses = first + len(self.kinds)
        return [(first, statuses - 1, self.labels.plain("export.by_kind")),
                (statuses, statuses + len(STATUSES) - 1, self.labels.plain("export.by_status"))]

    def summary(self) -> Table:
        """Rows of (commune, kind), with a column per status."""
        pairs: dict[tuple[int, str], _Pivot] = defaultdict(_Pivot)
        for c in self.counts:
            pairs[(c.commune, c.kind)].add(c)
        order = {k: i for i, k in enumerate(self.kinds)}
        keys = sorted(pairs, key=lambda p: (self.labels.place_order(p[0]), order[p[1]]))
        heads = self.summary_heads
        columns = [Column(heads[0], 28), Column(heads[1], 28), *self._status_columns(),
                   Column(heads[2], 10, total=True)]
        rows = [[self.labels.place(commune), self.kind_names[kind],
                 *self._numbers(pairs[(commune, kind)], by_kind=False)]
                for commune, kind in keys]
        return Table(self.labels.plain("export.sheet_summary"),
                     self.labels.plain("export.subject_summary"), columns, rows,
                     total_label=self.total)

    def by_content(self) -> Table:
        """A row per emulation content of each campaign covered (and one for stories without a
        content); with several campaigns, each content is named with its campaign."""
        pivots: dict[tuple[str, str], _Pivot] = defaultdict(_Pivot)
        for c in self.counts:
            known = self.labels.campaigns.content(c.campaign, c.content) is not None
            pivots[(c.campaign, c.content or "") if known else ("", "")].add(c)
        rows: list[list[Any]] = []
        for key in self.campaigns:
            found = self.labels.campaigns.get(key)
            for content in found.contents if found else ():
                name = content.label(self.labels.language)
                if len(self.campaigns) > 1:
                    name = f"{self.labels.campaign_short(key)}: {name}"
                rows.append([content.number, name, *self._numbers(pivots[(key, content.key)])])
        if ("", "") in pivots:
            rows.append(["", self.labels.no_content, *self._numbers(pivots[("", "")])])
        columns = [Column(self.labels.plain("export.number"), 6),
                   Column(self.labels.plain("export.content"), 60, "wrap"),
                   *self._kind_columns(), *self._status_columns(),
                   Column(self.summary_heads[2], 10, total=True)]
        return Table(self.labels.plain("export.sheet_contents"),
                     self.labels.plain("export.subject_contents"), columns, rows,
                     groups=self._groups(2), total_label=self.total)

    def by_commune(self) -> Table:
        """A row per commune in scope, those without a story included."""
        pivots: dict[int, _Pivot] = defaultdict(_Pivot)
        for c in self.counts:
            pivots[c.commune].add(c)
        codes = ({u.code for u in self.labels.units.units} if self.scope is None
                 else set(self.scope)) | set(pivots)
        rows = [[self.labels.place(code), *self._numbers(pivots[code])]
                for code in sorted(codes, key=self.labels.place_order)]
        columns = [Column(self.summary_heads[0], 28), *self._kind_columns(),
                   *self._status_columns(), Column(self.summary_heads[2], 10, total=True)]
        return Table(self.labels.plain("export.sheet_communes"),
                     self.labels.plain("export.subject_communes"), columns, rows,
                     groups=self._groups(1), total_label=self.total)


def _columns(names: Sequence[str], widths: Sequence[int],
             styles: dict[int, Any]) -> list[Column]:
    return [Column(name, width, styles.get(i, ""))
            for i, (name, width) in enumerate(zip(names, widths, strict=True))]


class _Counted:
    """The list's rows, made as the writer asks for them, counted."""

    def __init__(self, stories: Iterable[Story], labels: Labels,
                 rng: ExportRange) -> None:
        self._stories = stories
        self._labels = labels
        self._rng = rng
        self.count = 0

    def __iter__(self) -> Iterator[list[Any]]:
        for r in self._stories:
            self.count += 1
            yield story_cells(r, self._labels, self._rng)


def _nomination_rows(nominations: list[Nomination], labels: Labels,
                     rng: ExportRange) -> list[list[Any]]:
    return [[n.story_id, labels.award(n.campaign, n.award), n.reason, labels.place(n.commune),
             n.title, n.honoree, labels.status(n.status), n.nominated_by or "",
             rng.local_day(n.created_at)] for n in nominations]


def _covered(labels: Labels, counts: list[Count], period: Period) -> list[str]:
    """The campaigns an export covers: the one asked for, or those its stories belong to (the
    preferred one when there are none), in the registry's order."""
    if period.campaign is not None:
        return [period.campaign]
    present = {c.campaign for c in counts}
    ordered = [c.key for c in labels.campaigns.all if c.key in present]
    return ordered + sorted(present - set(ordered)) or [labels.campaigns.all[0].key]


def write_book(out: Path | BinaryIO, rng: ExportRange, texts: Catalogue, period: Period,
               counts: list[Count], stories: Iterable[Story],
               nominations: list[Nomination]) -> int:
    """Write the five sheets, the story list streamed; return how many stories were listed."""
    labels = Labels(rng, texts)
    campaigns = _covered(labels, counts, period)
    total = sum(c.n for c in counts)
    count = (labels.plain("export.count", count=total) if total
             else labels.plain("export.count_none"))
    words = {"range": range_text(texts, period.start, period.end),
             "scope": _scope_text(labels, period.scope), "count": count,
             "made": day_text(period.made)}

    def subtitle(subject: str) -> str:
        return labels.plain("export.subtitle", subject=subject, **words)

    breakdowns = _Breakdowns(labels, counts, period, campaigns)
    columns = _columns(headers(labels, "export.list_headers"), LIST_WIDTHS, LIST_STYLES)
    listed = _Counted(stories, labels, rng)
    tables = [
        breakdowns.summary(), breakdowns.by_content(), breakdowns.by_commune(),
        Table(labels.plain("export.sheet_list"), labels.plain("export.subject_list"), columns,
              listed, quiet_columns=(columns[PHONE].header, columns[RESIDENT_CONTACT].header)),
        Table(labels.plain("export.sheet_nominations"), labels.plain("export.subject_nominations"),
              _columns(headers(labels, "export.nomination_headers"), NOMINATION_WIDTHS,
                       NOMINATION_STYLES), _nomination_rows(nominations, labels, rng)),
    ]
    title = Title("; ".join(labels.campaign(key) for key in campaigns), subtitle)
    save_workbook(out, tables, title, str(texts.t("export.page")))
    return listed.count
