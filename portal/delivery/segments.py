"""How many SMS parts a text costs.

GSM-7 (the GSM 03.38 default alphabet) holds 160 characters in one part and 153 in each part of
a longer message; the characters of its extension table (``^{}\\[~]|€`` and form feed) take two
places. Any other character switches the whole message to UCS-2: 70 characters in one part,
67 in each part of a longer one; characters outside the Basic Multilingual Plane take two UTF-16
units. Cyrillic and the Azerbaijani letters ə ı ş ğ are outside GSM-7. Ç ö ü Ö Ü are in the
table, but many gateways send any Azerbaijani text as UCS-2, so we count all seven Azerbaijani
letters (ə ı ş ğ ç ö ü, either case) as forcing UCS-2: the count may be high, never low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
AZERBAIJANI = "əƏıİşŞğĞçÇöÖüÜ"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"} - frozenset(AZERBAIJANI)
_EXTENSION = frozenset(GSM7_EXTENSION)


@dataclass(frozen=True)
class SmsCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def count_sms(text: str) -> SmsCount:
    """The encoding, length in units and number of parts of `text` as one SMS."""
    if is_gsm7(text):
        units = sum(2 if ch in _EXTENSION else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units == 0:
        return SmsCount(encoding, 0, 0)
    segments = 1 if units <= single else math.ceil(units / multi)
    return SmsCount(encoding, units, segments)
