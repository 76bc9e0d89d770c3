"""The .po merge driver merges whole entries: nothing is moved onto a neighbour or lost."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from tests.conftest import ROOT

HEAD = 'msgid ""\nmsgstr ""\n"Language: ru\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


def _po(path, entries: str):
    path.write_text(HEAD + entries, encoding="utf-8")
    return str(path)


def _merge(tmp_path, base: str, ours: str, theirs: str):
    files = [_po(tmp_path / n, e) for n, e in (("o.po", base), ("a.po", ours), ("b.po", theirs))]
    driver = ROOT / "tools" / "merge_po.py"
    done = subprocess.run([sys.executable, str(driver), *files], capture_output=True)  # noqa: S603
    with open(files[1], "rb") as f:
        catalog = read_po(f, locale="ru")
    return done.returncode, {(m.context, m.id): m for m in catalog if m.id}


def test_entries_added_on_both_sides_keep_their_context_and_translation(tmp_path):
    base = 'msgid "Closed"\nmsgstr "Закрыто"\n'
    ours = base + '\nmsgid "Internal note"\nmsgstr "Внутренняя заметка"\n'
    theirs = (
        base + '\nmsgctxt "event"\nmsgid "Internal note"\nmsgstr "Внутренняя заметка"\n'
        '\nmsgid "In this status since"\nmsgstr "В этом статусе с"\n'
    )
    code, merged = _merge(tmp_path, base, ours, theirs)
    assert code == 0
    assert {k: m.string for k, m in merged.items()} == {
        (None, "Closed"): "Закрыто",
        (None, "Internal note"): "Внутренняя заметка",
        ("event", "Internal note"): "Внутренняя заметка",
        (None, "In this status since"): "В этом статусе с",
    }


def test_a_change_on_one_side_wins_and_a_change_on_both_is_a_conflict(tmp_path):
    base = 'msgid "Active"\nmsgstr "Активный"\n\nmsgid "Lead"\nmsgstr "Руководитель"\n'
    ours = 'msgid "Active"\nmsgstr "Действует"\n\nmsgid "Lead"\nmsgstr "Координатор"\n'
    theirs = 'msgid "Active"\nmsgstr "Активный"\n\nmsgid "Lead"\nmsgstr "Ведущий"\n'
    code, merged = _merge(tmp_path, base, ours, theirs)
    assert code == 1
    assert merged[(None, "Active")].string == "Действует"
    assert merged[(None, "Lead")].string == "Координатор"
    assert merged[(None, "Lead")].fuzzy
