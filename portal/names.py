"""One search key for a person's name, whatever alphabet or spelling it was typed in.

A returnee's name reaches the portal in Azerbaijani Latin (Kərimov), without its letters
(Kerimov), in Cyrillic (Керимов) or as a foreign passport spells it (Karimov, Mamedov). The key
transliterates all of them to one folded Latin form, so that a substring search on the key
finds the person: Kərimov, Kerimov, Karimov and Керимов all become "garimov".

The folding is deliberately coarse (it is for finding, never for showing): the vowels a, e and ə
are one, the sounds written k, q, g, ğ, h, x, kh (Russian к, г, х) are one, y between vowels is
dropped (Aliyev = Алиев), and doubled letters are single (Məmmədov = Mamedov).
"""

from __future__ import annotations

import re
import unicodedata

# Russian and Azerbaijani Cyrillic. Upper-case letters are placeholders for sounds that Latin
# spellings write with two letters (sh, ch, kh, zh, dzh), resolved below.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "Z",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "X", "ц": "ts",
    "ч": "C", "ш": "S", "щ": "SC", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ә": "a", "ғ": "g", "ҹ": "J", "ү": "u", "ө": "o", "һ": "h", "ј": "y",
    "қ": "k", "і": "i",
}  # fmt: skip

# Latin spellings, longest first, to the same placeholders.
_LATIN_DIGRAPHS = [
    ("dzh", "J"),
    ("dj", "J"),
    ("sh", "S"),
    ("ch", "C"),
    ("kh", "X"),
    ("zh", "Z"),
    ("ph", "f"),
]
_LATIN = {
    "ş": "S", "ç": "C", "x": "X", "c": "J", "j": "J", "ə": "a", "ı": "i", "ğ": "g",
    "ö": "o", "ü": "u", "w": "v", "ä": "a", "ß": "ss",
}  # fmt: skip
# The sound classes: velars and h are one letter, a/e/ə are one vowel.
_CLASSES = str.maketrans({"k": "g", "q": "g", "h": "g", "X": "g", "e": "a"})
_Y_BETWEEN_VOWELS = re.compile(r"(?<=[aiou])y(?=[aiou])")
# Russian ю, ё after a consonant only soften it: Айгюн = Aygün, Гюльнара = Gülnarə.
_SOFT_Y = re.compile(r"(?<=[b-df-hj-np-tv-zSCZJ])y(?=[uo])")
_NOT_KEY = re.compile(r"[^a-zSCZJ0-9 ]+")
_DOUBLES = re.compile(r"(.)\1+")


def name_key(text: str | None) -> str:
    """The folded search key of a name (or of what a worker typed to find one)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("дж", "J")
    text = "".join(_CYRILLIC.get(ch, ch) for ch in text)
    for digraph, sound in _LATIN_DIGRAPHS:
        text = text.replace(digraph, sound)
    text = "".join(_LATIN.get(ch, ch) for ch in text)
    # Other diacritics (é, ñ, the dot of a case-folded İ) fall away.
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.translate(_CLASSES)
    text = _Y_BETWEEN_VOWELS.sub("", text)
    text = _SOFT_Y.sub("", text)
    text = _NOT_KEY.sub(" ", text)
    text = _DOUBLES.sub(r"\1", text)
    return " ".join(text.split()).lower()


NAME_KEY_LENGTH = 240  # users.name_key and assistance_requests.owner_name_key


def stored_name_key(full_name: str | None) -> str | None:
    """name_key as the database keeps it beside a name: cut to the column, NULL for none."""
    return name_key(full_name)[:NAME_KEY_LENGTH] or None


def phone_tail_key(phone: str | None) -> str | None:
    """The digits of a phone number reversed: a search for the last digits becomes a prefix
    search, which an ordinary index serves."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[::-1] or None


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """(lower, upper) bounds of the digit strings that start with `prefix` (upper None: none).

    A range on digits compares the same in every collation, unlike LIKE 'x%' which needs a
    pattern operator class on PostgreSQL."""
    digits = list(prefix)
    while digits and digits[-1] == "9":
        digits.pop()
    if not digits:
        return prefix, None
    digits[-1] = str(int(digits[-1]) + 1)
    return prefix, "".join(digits)


# The sort key: Cyrillic in Azerbaijani Latin letters (ш = ş, ч = ç, х = x, дж = c, ж = j).
_SORT_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "x", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "şç", "ъ": "", "ы": "ı", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ә": "ə", "ғ": "ğ", "ҹ": "c", "ү": "ü", "ө": "ö", "һ": "h", "ј": "y",
    "қ": "k", "і": "i",
}  # fmt: skip
# Latin letters without a decomposition into a base letter and a mark.
_SORT_LATIN = {"ə": "e", "ı": "i", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l"}
_NOT_SORT_KEY = re.compile(r"[^a-z0-9]+")
SORT_KEY_LENGTH = 120


def sort_key(text: str | None) -> str:
    """The key a list of people is sorted by: the name as written, in Latin letters without
    their marks (Əliyev sorts as "eliyev", Şahin as "sahin", Керимов as "kerimov"), lower
    case, words separated by one space; at most SORT_KEY_LENGTH characters.

    Unlike name_key it keeps every letter apart (Həsənov is not among the G's), so the order
    reads as alphabetical to a person; it only has to sort, never to find. Only a-z, 0-9 and
    spaces, so any database collation orders it the same way up to the spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold().replace("дж", "c")
    text = "".join(_SORT_CYRILLIC.get(ch, ch) for ch in text)
    text = "".join(_SORT_LATIN.get(ch, ch) for ch in text)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _NOT_SORT_KEY.sub(" ", text).strip()[:SORT_KEY_LENGTH].rstrip()
