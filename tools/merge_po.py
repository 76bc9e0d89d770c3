"""A git merge driver for the .po catalogues: a three-way merge by entry, not by line.

Git's line-based merges (and `merge=union`) can move a `msgctxt` line onto the neighbouring
entry or interleave two new entries, which leaves messages untranslated without a conflict.
This driver merges whole entries, keyed by (msgctxt, msgid):
- an entry added on one side is kept;
- an entry changed on one side only takes that side's translation;
- an entry changed on both sides differently keeps ours, is marked fuzzy (so the catalogue test
  fails until a person decides) and carries theirs in a comment; the driver then exits 1.

Set it up once per clone:
    git config merge.po.name "gettext catalogue merge"
    git config merge.po.driver ".venv/bin/python tools/merge_po.py %O %A %B"
then run `flask --app portal translate update` after the merge (order and obsolete entries).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def _load(path: str):
    with open(path, "rb") as f:
        return read_po(f, locale=_locale(path))


def _locale(path: str) -> str | None:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith('"Language: '):
                return line.split(":", 1)[1].strip().strip('"').replace("\\n", "") or None
    return None


def _key(message) -> tuple:
    return (message.context, message.id)


def merge(base_path: str, ours_path: str, theirs_path: str) -> int:
    base, ours, theirs = _load(base_path), _load(ours_path), _load(theirs_path)
    base_by_key = {_key(m): m for m in base if m.id}
    ours_by_key = {_key(m): m for m in ours if m.id}
    conflicts = 0
    for message in theirs:
        if not message.id:
            continue
        key = _key(message)
        mine = ours_by_key.get(key)
        old = base_by_key.get(key)
        if mine is None:
            if old is not None and old.string == message.string:
                continue  # we deleted it, they did not touch it
            ours[message.id] = message
        elif mine.string != message.string:
            if old is not None and mine.string == old.string:
                mine.string = message.string  # only they changed it
                mine.flags = set(message.flags)
            elif old is None or message.string != old.string:
                conflicts += 1
                mine.flags.add("fuzzy")
                mine.user_comments.append(f"merge conflict, theirs: {message.string!r}")
    for key, message in theirs.obsolete.items():
        ours.obsolete.setdefault(key, message)
    with open(ours_path, "wb") as f:
        write_po(f, ours, width=76, include_previous=False)
    if conflicts:
        print(f"{Path(ours_path).name}: {conflicts} entries changed on both sides", file=sys.stderr)
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(merge(*sys.argv[1:4]))
