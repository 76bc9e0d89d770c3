"""Suggestions as a .po fragment for the next catalogue update.

A suggestion whose text as shown is the translation of a catalogue entry becomes that entry with
the proposed msgstr; anything else (a text with a name or number filled in, a typo in the copy)
stays a comment for the translator to place by hand.
"""

from __future__ import annotations

import io
from functools import lru_cache

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal.catalogues import TRANSLATIONS
from portal.models import TranslationSuggestion


def _norm(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=8)
def _catalogue_index(lang: str, mtime: float) -> dict[str, tuple]:  # noqa: ARG001 - cache key
    """Text as shown (whitespace-normalised) -> (msgid, msgctxt) of the locale's catalogue."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    index: dict[str, tuple] = {}
    for m in catalog:
        if not m.id or m.pluralizable:
            continue
        shown = m.string or m.id  # en shows the msgid when msgstr is empty
        index.setdefault(_norm(shown), (m.id, m.context))
    return index


def match_entry(lang: str, shown_text: str) -> tuple | None:
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    return _catalogue_index(lang, path.stat().st_mtime).get(_norm(shown_text))


def po_fragment(lang: str, suggestions: list[TranslationSuggestion]) -> str:
    """A .po fragment (no header) of the suggestions in `lang`, newest first."""
    catalog = Catalog(locale=lang)
    unmatched = []
    for s in suggestions:
        where = f"{s.path} ({s.created_at:%Y-%m-%d}, suggestion {s.id})"
        entry = match_entry(lang, s.shown_text)
        if entry is None:
            unmatched.append((where, s))
        elif catalog.get(entry[0], context=entry[1]) is None:  # the newest wins
            catalog.add(entry[0], s.proposed_text, context=entry[1], user_comments=[where])
        else:
            catalog.get(entry[0], context=entry[1]).user_comments.append(
                f"also suggested: {_norm(s.proposed_text)} — {where}"
            )
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, width=76)
    lines = [f"# Translation suggestions ({lang}) for the next catalogue update.", ""]
    lines.append(out.getvalue().decode("utf-8").strip())
    for where, s in unmatched:
        lines += [
            "",
            f"# Not matched to a catalogue entry: {where}",
            *(f"# shown: {line}" for line in s.shown_text.splitlines() or [""]),
            *(f"# proposed: {line}" for line in s.proposed_text.splitlines() or [""]),
        ]
    return "\n".join(lines).strip() + "\n"
