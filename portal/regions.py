"""Districts and cities of Azerbaijan, from data/az_regions.csv (reference data, not a table)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from portal.i18n import current_locale

CSV_PATH = Path(__file__).parent / "data" / "az_regions.csv"
ALL_REGIONS = "*"  # coverage marker: every region

# Azerbaijani Latin alphabet order; Python's default sort puts ç, ə, ğ, ı, ö, ş, ü at the end.
_AZ_ALPHABET = "abcçdeəfgğhxıijkqlmnoöprsştuüvyz"
_AZ_ORDER = {ch: i for i, ch in enumerate(_AZ_ALPHABET)}
_RU_ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_RU_ORDER = {ch: i for i, ch in enumerate(_RU_ALPHABET)}
_RU_ORDER["ё"] = _RU_ORDER["е"]  # Russian dictionaries sort ё with е


@dataclass(frozen=True)
class Region:
    code: str
    economic_region: str
    name_az: str
    name_ru: str
    name_en: str
    kind: str  # "city" or "district"

    def name(self, locale: str | None = None) -> str:
        if locale is None:
            current = current_locale()
            locale = current.language if current else "az"
        return getattr(self, f"name_{locale}", self.name_az)


@cache
def all_regions() -> dict[str, Region]:
    with CSV_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        r["code"]: Region(
            code=r["code"],
            economic_region=r["economic_region_en"],
            name_az=r["name_az"],
            name_ru=r["name_ru"],
            name_en=r["name_en"],
            kind=r["kind"],
        )
        for r in rows
    }


def get_region(code: str | None) -> Region | None:
    return all_regions().get(code or "")


def region_name(code: str | None, locale: str | None = None) -> str:
    region = get_region(code)
    return region.name(locale) if region else ""


def sort_key(text: str, locale: str) -> tuple:
    """A collation key that follows the alphabet of the language."""
    order = {"az": _AZ_ORDER, "ru": _RU_ORDER}.get(locale)
    lowered = text.replace("I", "ı").replace("İ", "i").lower() if locale == "az" else text.lower()
    if order is None:
        return tuple(ord(c) for c in lowered)
    return tuple(order.get(c, 100 + ord(c)) for c in lowered)


def region_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs sorted in the language's own alphabetical order."""
    if locale is None:
        current = current_locale()
        locale = current.language if current else "az"
    return list(_sorted_choices(locale))


@cache
def _sorted_choices(locale: str) -> tuple[tuple[str, str], ...]:
    regions = all_regions().values()
    return tuple(
        sorted(((r.code, r.name(locale)) for r in regions), key=lambda c: sort_key(c[1], locale))
    )
