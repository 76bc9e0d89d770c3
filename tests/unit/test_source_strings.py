"""The catalogues hold every translatable literal of the source, found without Babel's extractor.

When this fails, run `flask --app portal translate update` and translate the new entries; when
the scan itself misses something, tests/source_strings.py is the place to teach it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT
from tests.source_strings import fstring_calls, scan, scan_text, source_files

LANGS = ("az", "ru", "en")


def _catalogue(lang: str) -> dict:
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id
    }


@pytest.fixture(scope="module")
def catalogues() -> dict:
    return {lang: _catalogue(lang) for lang in LANGS}


def problems(root: Path, catalogues: dict) -> list[str]:
    """Every scanned literal that a catalogue lacks, or that az/ru leave untranslated."""
    found = []
    for item in scan(root):
        key = (item.context, item.msgid)
        for lang, entries in catalogues.items():
            if key not in entries:
                found.append(f"{lang} lacks {item}")
            elif lang != "en" and not (
                all(entries[key]) if isinstance(entries[key], tuple) else entries[key]
            ):
                found.append(f"{lang} leaves untranslated {item}")
    return found


def test_every_literal_of_the_source_is_in_the_catalogues(catalogues):
    found = scan(ROOT)
    assert len(found) > 500, "the scan found too little: is it reading the source?"
    assert problems(ROOT, catalogues) == []


def test_the_scan_reaches_folders_that_start_with_an_underscore():
    macros = [f for f in scan(ROOT) if "_macros" in f.path.parts]
    assert any(f.msgid == "There is a problem" for f in macros)


def test_no_f_string_is_passed_to_gettext():
    bad = [
        f"{path}:{line}"
        for path, _template in source_files(ROOT)
        for line in fstring_calls(path.read_text(encoding="utf-8"))
    ]
    assert bad == []


def test_the_scan_reads_every_form_of_call():
    python = """
x = _("One")
y = _l(
    "Two words "
    'joined'
)
z = ngettext("%(num)d day", "%(num)d days", n)
c = pgettext("person", "Name")
d = lazy_pgettext("organisation", "Name")
e = gettext("Four \\"quoted\\"")
not_me = obj._("Nope"), my_gettext("Nope"), _(variable)
"""
    found = {(f.context, f.msgid) for f in scan_text(python, Path("x.py"), template=False)}
    assert found == {
        (None, "One"),
        (None, "Two words joined"),
        (None, "%(num)d day"),
        ("person", "Name"),
        ("organisation", "Name"),
        (None, 'Four "quoted"'),
    }
    template = """
<h2>{{ _('Five') }}</h2>{{ pgettext("request status", "Closed") }}
{% trans trimmed name=user.name %}
  Hello   {{ name }},
  welcome.
{% endtrans %}
{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items{% endtrans %}
"""
    found = {(f.context, f.msgid) for f in scan_text(template, Path("t.html"), template=True)}
    assert found == {
        (None, "Five"),
        ("request status", "Closed"),
        (None, "Hello %(name)s, welcome."),
        (None, "%(count)s item"),
    }


def test_it_fails_when_a_string_is_missing(tmp_path, catalogues):
    """A broken string on purpose: an unknown msgid in a module and in a _macros template."""
    (tmp_path / "portal").mkdir()
    (tmp_path / "templates" / "_macros").mkdir(parents=True)
    (tmp_path / "portal" / "views.py").write_text(
        'flash(_("Your request has been sent"))\nflash(_("A message nobody translated"))\n',
        encoding="utf-8",
    )
    (tmp_path / "templates" / "_macros" / "box.html").write_text(
        '<h2>{{ _("There is a problem") }}</h2><p>{{ _("Another new heading") }}</p>',
        encoding="utf-8",
    )
    found = problems(tmp_path, catalogues)
    assert any("'A message nobody translated'" in p and p.startswith("az lacks") for p in found)
    assert any("box.html:1" in p and "'Another new heading'" in p for p in found)
    assert not any("There is a problem" in p or "has been sent" in p for p in found)


def test_it_fails_when_a_translation_is_empty(tmp_path, catalogues):
    (tmp_path / "portal").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "portal" / "views.py").write_text('_("There is a problem")\n', encoding="utf-8")
    emptied = {lang: dict(entries) for lang, entries in catalogues.items()}
    emptied["ru"][(None, "There is a problem")] = ""
    assert problems(tmp_path, emptied) == [
        f"ru leaves untranslated {tmp_path / 'portal' / 'views.py'}:1 'There is a problem'"
    ]
