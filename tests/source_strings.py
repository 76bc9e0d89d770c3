"""Translatable literals found by a plain scan of the source, independent of Babel's extractor.

The catalogue test that runs `pybabel extract` cannot see what the extractor skips (it once
skipped every folder whose name starts with "_"). This scan reads every file itself with regular
expressions: calls of _(), _l(), gettext(), lazy_gettext(), ngettext(), pgettext(),
lazy_pgettext() whose message arguments are string literals, and {% trans %} blocks.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# One string literal: Python or Jinja, single or double quotes, with escapes; an optional
# r/u prefix (never f: an f-string inside _() is a bug the scan reports).
_LITERAL = (
    r"""(?:[rRuU]?(?:"{3}(?:[^\\]|\\.)*?"{3}|'{3}(?:[^\\]|\\.)*?'{3}"""
    r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'))"""
)
# Adjacent literals, as Python joins them ("a " "b"), across lines and comments-free gaps.
_LITERALS = rf"(?:{_LITERAL}(?:\s*{_LITERAL})*)"
# name -> (has a context first, has a plural second)
CALLS = {
    "_": (False, False),
    "_l": (False, False),
    "gettext": (False, False),
    "lazy_gettext": (False, False),
    "ngettext": (False, True),
    "lazy_ngettext": (False, True),
    "pgettext": (True, False),
    "lazy_pgettext": (True, False),
    "npgettext": (True, True),
}
_CALL = re.compile(
    r"(?<![\w.])(?P<name>" + "|".join(sorted(map(re.escape, CALLS), key=len, reverse=True)) + r")"
    r"\(\s*(?P<args>" + _LITERALS + r"(?:\s*,\s*" + _LITERALS + r")*)"
)
_ONE_ARG = re.compile(_LITERALS)
_FSTRING_CALL = re.compile(
    r"(?<![\w.])(?:" + "|".join(map(re.escape, CALLS)) + r")\(\s*[fF][rR]?[\"']"
)
_TRANS = re.compile(
    r"\{%-?\s*trans\b(?P<head>[^%]*)-?%\}(?P<body>.*?)\{%-?\s*endtrans\s*-?%\}", re.S
)
_PLURALIZE = re.compile(r"\{%-?\s*pluralize\b[^%]*-?%\}")
_VARIABLE = re.compile(r"\{\{-?\s*(\w+)\s*-?\}\}")


@dataclass(frozen=True)
class Found:
    path: Path
    line: int
    context: str | None
    msgid: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where} {self.context + ' | ' if self.context else ''}{self.msgid!r}"


def _value(literals: str) -> str:
    parts = re.findall(_LITERAL, literals)
    return "".join(ast.literal_eval(p) for p in parts)


def _trans_text(text: str, trimmed: bool) -> str:
    text = _VARIABLE.sub(lambda m: f"%({m.group(1)})s", text)
    if trimmed:
        text = " ".join(text.split())
    return text


def scan_text(text: str, path: Path, *, template: bool) -> Iterator[Found]:
    """Every msgid (with its context) the file asks to translate."""

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    for match in _CALL.finditer(text):
        has_context, _plural = CALLS[match.group("name")]
        args = [_value(a.group(0)) for a in _ONE_ARG.finditer(match.group("args"))]
        if has_context and len(args) < 2:
            continue  # the message is not a literal
        context, msgid = (args[0], args[1]) if has_context else (None, args[0])
        yield Found(path, line_of(match.start()), context, msgid)
    if template:
        for match in _TRANS.finditer(text):
            head = match.group("head").split()
            trimmed = "trimmed" in head  # CONVENTIONS: always {% trans trimmed %}
            body = _PLURALIZE.split(match.group("body"))[0]
            yield Found(path, line_of(match.start()), None, _trans_text(body, trimmed))


def fstring_calls(text: str) -> list[int]:
    """Lines where an f-string is passed to a gettext function (never translatable)."""
    return [text.count("\n", 0, m.start()) + 1 for m in _FSTRING_CALL.finditer(text)]


def source_files(root: Path) -> Iterable[tuple[Path, bool]]:
    """(path, is_template) for every module and template, folders starting with _ included."""
    for path in sorted((root / "portal").rglob("*.py")):
        yield path, False
    for path in sorted((root / "templates").rglob("*.html")):
        yield path, True
    for path in sorted((root / "templates").rglob("*.txt")):
        yield path, True


def scan(root: Path) -> list[Found]:
    found = []
    for path, template in source_files(root):
        found.extend(scan_text(path.read_text(encoding="utf-8"), path, template=template))
    return found
