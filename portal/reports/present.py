"""Figures as the page shows them (formatted in the locale, drawn as SVG) and as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from flask_babel import format_currency, format_date, format_decimal, format_percent, get_locale
from markupsafe import Markup

from portal import charts
from portal.services.exports import FORMULA_START, safe_cell
from portal.services.reports import Column, Figure

__all__ = ["FORMULA_START", "safe_cell"]

_FIRST = frozenset(FORMULA_START)


def cell_text(value: Any, kind: str, locale: str | None = None) -> str:
    """A value for the page, formatted in the current locale (or `locale`: a figure's cells
    pass it once rather than asking flask-babel for every cell)."""
    if value is None or value == "":
        return "–"
    if kind == "text":
        return str(value)
    return _formatted(locale or str(get_locale()), value, kind)


@lru_cache(maxsize=8192, typed=True)
def _formatted(locale: str, value: Any, kind: str) -> str:
    """Babel's formatting, remembered per locale, value and kind: a year's tables repeat the
    same few hundred numbers, and each Babel call costs ~0.1 ms (a page has thousands)."""
    if kind == "int":
        return format_decimal(value)
    if kind == "decimal":
        return format_decimal(value, format="#,##0.0")
    if kind == "azn":
        return format_currency(value, "AZN")
    if kind == "percent":
        return format_percent(float(value) / 100, format="#,##0.0%")
    if kind == "date":
        return format_date(value, "d MMM y")
    if kind == "month":
        return format_date(value, "LLLL y")
    if kind == "axis-date":
        return format_date(value, "d MMM")
    if kind == "axis-month":
        return format_date(value, "LLL yy")
    if kind == "tick-azn":
        return format_decimal(round(value), format="#,##0")
    if kind == "tick":
        return format_decimal(round(value, 1), format="#,##0.#")
    return str(value)


def axis_label(value: Any, kind: str, locale: str | None = None) -> str:
    locale = locale or str(get_locale())
    if kind in ("date", "month"):
        return _formatted(locale, value, "axis-" + kind)
    return cell_text(value, kind, locale)


def _value_format(kind: str):
    locale = str(get_locale())
    tick = "tick-azn" if kind == "azn" else "tick"

    def fmt(v: float) -> str:
        return _formatted(locale, v, tick)

    return fmt


def row_label(figure: Figure, row: list[Any], locale: str | None = None) -> str:
    if figure.label_col == -1:  # the first two columns together
        return f"{row[0]} — {row[1]}"
    col = figure.columns[figure.label_col]
    return axis_label(row[figure.label_col], col.kind, locale)


def chart(figure: Figure) -> Markup:
    locale = str(get_locale())
    labels = [row_label(figure, r, locale) for r in figure.rows]
    series = [
        charts.Series(figure.columns[i].title, [r[i] for r in figure.rows])
        for i in figure.series_cols
    ]
    fmt = _value_format(figure.value_kind)
    chart_id = f"chart-{figure.key}"
    if figure.chart == "columns":
        return charts.columns(figure.title, labels, series, fmt, chart_id)
    if figure.chart == "line":
        return charts.line(figure.title, labels, series, fmt, chart_id)
    stacked = figure.key in ("overdue_now", "decline_reasons")
    return charts.bars(figure.title, labels, series, fmt, chart_id, stacked=stacked)


def legend(figure: Figure) -> list[tuple[str, str]]:
    """(colour, name) of each series, when there is more than one."""
    if len(figure.series_cols) < 2:
        return []
    return [(charts.colour(k), figure.columns[i].title) for k, i in enumerate(figure.series_cols)]


def table_rows(figure: Figure) -> list[list[str]]:
    locale = str(get_locale())
    kinds = [c.kind for c in figure.columns]
    return [[cell_text(v, k, locale) for v, k in zip(r, kinds, strict=True)] for r in figure.rows]


def _csv_value(value: Any, column: Column) -> Any:
    """Plain values for a spreadsheet: ISO dates, numbers with a dot, labels as shown."""
    if value is None:
        return ""
    if column.kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


BOM = "\ufeff"


def csv_lines(header: list[str], rows: Iterable[list[Any]], batch: int = 500) -> Iterator[str]:
    """CSV text in chunks: a byte-order mark first (Excel then reads UTF-8), every cell made
    safe, `batch` rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    n = 0
    for row in rows:
        # safe_cell inlined: this runs for every cell of a million-row export
        writer.writerow([("'" + v) if v.__class__ is str and v[:1] in _FIRST else v for v in row])
        n += 1
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_batches(header: list[str], batches: Iterable[list[list[Any]]]) -> Iterator[str]:
    """CSV text of rows already made safe (services.exports.case_rows), one chunk per batch:
    the byte-order mark and the header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    yield BOM + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue()


def csv_header_then(header: list[str], chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The byte-order mark and the header (LF, as the rows that follow), then CSV chunks the
    database wrote (services.exports.case_csv_copy)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([safe_cell(h) for h in header])
    yield (BOM + buffer.getvalue()).encode("utf-8")
    yield from chunks


def figure_csv(figure: Figure) -> Iterator[str]:
    header = [c.title for c in figure.columns]
    rows = ([_csv_value(v, c) for v, c in zip(r, figure.columns, strict=True)] for r in figure.rows)
    return csv_lines(header, rows)
