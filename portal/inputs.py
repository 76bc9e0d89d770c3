"""The one input gate: what text, numbers and dates the portal accepts from outside.

Every form (through BaseForm), the partner API (its JSON bodies) and every URL (path and query
string) go through these checks, so that input the database cannot hold (a NUL character on
PostgreSQL, an id beyond a 32-bit integer, a date in year 9999) is refused with a clear message
instead of a server error.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

# The range of the database's INTEGER columns (ids, versions, counts): PostgreSQL's int4.
DB_INT_MAX = 2**31 - 1
DB_INT_MIN = -(2**31)
# Dates and times people and systems send: anything outside these years is a mistake.
MIN_YEAR = 1900
MAX_YEAR = 2100

CONTROL_MESSAGE = _l(
    "This text contains invisible control characters that cannot be saved. "
    "Remove them and try again."
)
NUMBER_MESSAGE = _l("This number is too large.")
URL_MESSAGE = _l("The address contains characters that cannot be used.")

MULTILINE_ALLOWED = "\t\n\r"


def bad_character(value: str, *, multiline: bool) -> str | None:
    """The first character a text field may not hold, or None.

    Control characters (C0, DEL, C1) are refused everywhere, except tab and line breaks in
    multi-line fields; lone surrogates (broken Unicode from JSON) are refused too.
    """
    for ch in value:
        code = ord(ch)
        if code < 32 or 0x7F <= code <= 0x9F:
            if multiline and ch in MULTILINE_ALLOWED:
                continue
            return ch
        if 0xD800 <= code <= 0xDFFF:
            return ch
    return None


def text_is_storable(value: str, *, multiline: bool) -> bool:
    return bad_character(value, multiline=multiline) is None


def whole_number(value: Any, max_digits: int = 9) -> int | None:
    """A page number or an id typed into a URL or form: ASCII digits only ("²" and "١٢" pass
    str.isdigit but are not ids), at most `max_digits` of them; None for anything else."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > max_digits:
        return None
    return int(text)


def int_in_db_range(value: Any) -> bool:
    return isinstance(value, int) and DB_INT_MIN <= value <= DB_INT_MAX


def sane_date(value: date | datetime | None) -> bool:
    return value is None or MIN_YEAR <= value.year <= MAX_YEAR


_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?"
    r"(?:[Zz]|[+-](\d{2}):?(\d{2}))?$"
)


def parse_datetime_strict(text: str) -> datetime | None:
    """An ISO 8601 date and time (UTC when no offset is given) within MIN_YEAR..MAX_YEAR, in UTC.

    None for anything else: other shapes, impossible dates, offsets beyond ±14:00 or years out of
    range (9999-12-31T23:59:59-23:59 would overflow when converted to UTC).
    """
    if not isinstance(text, str) or len(text) > 40:
        return None
    match = _DATETIME_RE.match(text.strip())
    if match is None:
        return None
    year = int(match.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    if match.group(7) is not None:
        hours, minutes = int(match.group(7)), int(match.group(8))
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("t", "T"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class DbIntConverter(IntegerConverter):
    """`<int:...>` in every route: only 1..2^31-1 match, so a larger id is a plain 404."""

    def __init__(self, map, fixed_digits=0, min=1, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def url_is_clean(path: str, args) -> bool:
    """No control characters in the path or in any query parameter name or value."""
    if bad_character(path, multiline=False):
        return False
    for key, values in args.lists():
        if bad_character(key, multiline=False):
            return False
        if any(bad_character(v, multiline=False) for v in values):
            return False
    return True


def json_problem(value: Any, path: str = "") -> str | None:
    """The name of the first field of a JSON document holding text it may not: NUL, control
    characters other than tab and line breaks, lone surrogates (in names or values); or None."""
    if isinstance(value, str):
        return path or "body" if bad_character(value, multiline=True) else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if bad_character(str(key), multiline=False):
                return "body"
            found = json_problem(item, name)
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = json_problem(item, f"{path}[{i}]")
            if found:
                return found
    return None


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: every `<int:...>` route takes only database ids; every
    request with control characters in its address is refused (400) before a view sees it."""
    app.url_map.converters["int"] = DbIntConverter

    @app.before_request
    def _clean_url():
        if not url_is_clean(request.path, request.args):
            abort(400, description=str(URL_MESSAGE))
