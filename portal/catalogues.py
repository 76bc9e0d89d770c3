"""Compile the .po catalogues into the .mo files the app reads (they are built, not committed)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal.config import ROOT

TRANSLATIONS = ROOT / "translations"
# pybabel extract options shared by `flask translate extract` and the catalogue test.
# Babel skips folders named _* by default (templates/_macros, templates/_nav): only dot-folders are.
EXTRACT_OPTIONS = [
    "-F",
    "babel.cfg",
    "-k",
    "_l",
    "-k",
    "lazy_pgettext:1c,2",
    "--ignore-dirs",
    ".*",
]
EXTRACT_SOURCES = ["portal", "templates"]
log = logging.getLogger(__name__)


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Write messages.mo beside each newer messages.po; fuzzy entries are left out."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=po_path.parent.parent.name)
        tmp_path = mo_path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with tmp_path.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(tmp_path, mo_path)  # atomic: parallel workers never read half a file
        except OSError:
            log.warning("could not write %s; run `flask translate compile`", mo_path)
            continue
        written.append(mo_path)
    return written
