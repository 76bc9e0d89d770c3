"""Rendered pages kept in the process, for pages that are the same for many requests.

Each kind of page has its own small store on the app (so a test's second app never sees the
first one's pages), dropping the least recently used page past a size. The key says for whom
and of what: the caller puts everything the page depends on in it (see the public pages and
the triage queue). Nothing is kept while a message waits to be shown (flash), since it shows
on the next page only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app, session

MAX_PAGES = 256
# Stores that hold more: the queue's rows (a page holds 25, and every worker's pages share).
MAX_ITEMS = {"rows": 4096}


def may_keep() -> bool:
    """False while a flashed message waits: that page is one person's, once."""
    return not session.get("_flashes")


def _store(kind: str) -> OrderedDict:
    stores = current_app.extensions.setdefault("page_cache", {})
    return stores.setdefault(kind, OrderedDict())


def get(kind: str, key: Hashable) -> str | None:
    store = _store(kind)
    html = store.get(key)
    if html is not None:
        store.move_to_end(key)
    return html


def put(kind: str, key: Hashable, html: str) -> str:
    store = _store(kind)
    store[key] = html
    store.move_to_end(key)
    limit = MAX_ITEMS.get(kind, MAX_PAGES)
    while len(store) > limit:
        store.popitem(last=False)
    return html


def kept_fragment(
    kind: str, *key: Hashable, keep: bool = True, store: str = "fragments", caller
) -> str:
    """A part of a page rendered once per language and key, for a `{% call %}` block whose
    HTML depends on nothing but the language and the key it is given (the template says what
    it depends on). keep=False renders it every time (a search's own words stay out of the
    store). `store`: the store it is kept in ("rows": the queue's rows, many more)."""
    from portal.i18n import current_locale, locale_key

    if not keep:
        return caller()
    locale = current_locale()
    full = (kind, locale_key(locale) if locale is not None else None, *key)
    html = get(store, full)
    if html is None:
        html = put(store, full, caller())  # Markup: escaped by the template
    return html
