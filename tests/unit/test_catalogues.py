"""Every message is translated in az and ru, nothing is fuzzy, and the catalogues hold every
string of the code and templates (run `flask --app portal translate update` when this fails)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from portal.catalogues import EXTRACT_OPTIONS, EXTRACT_SOURCES
from tests.conftest import ROOT

PO = ROOT / "translations" / "{lang}" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalog(lang: str):
    with open(str(PO).format(lang=lang), "rb") as f:
        return read_po(f, locale=lang)


def _ids(catalog) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_every_message_is_translated_and_none_is_fuzzy(lang):
    catalog = _catalog(lang)
    missing = [
        m.id
        for m in catalog
        if m.id and (not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [], f"untranslated in {lang}: {missing[:5]}"
    assert fuzzy == [], f"fuzzy in {lang}: {fuzzy[:5]}"


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_placeholders_are_kept(lang):
    for m in _catalog(lang):
        if not m.id:
            continue
        # plural forms are checked against the plural msgid (the one form of az covers n=1 too)
        source = m.id if isinstance(m.id, str) else m.id[1]
        targets = m.string if isinstance(m.string, tuple) else (m.string,)
        for target in targets:
            # a named placeholder may appear twice in a translation (ru "took the request")
            assert set(PLACEHOLDER.findall(target)) == set(PLACEHOLDER.findall(source)), (
                lang,
                source,
            )


def test_catalogues_hold_every_string_of_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", *EXTRACT_OPTIONS]
    command += ["-o", str(pot), *EXTRACT_SOURCES]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    with pot.open("rb") as f:
        code_ids = _ids(read_po(f))
    for lang in ("az", "ru", "en"):
        lacking = code_ids - _ids(_catalog(lang))
        assert not lacking, f"{lang} catalogue lacks {sorted(lacking)[:5]}: run translate update"
