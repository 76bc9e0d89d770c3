"""argon2id password hashing and the common-password check."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

COMMON_PASSWORDS_PATH = Path(__file__).parent / "data" / "common_passwords.txt"
# One minimum everywhere (registration, account page, reset, admin pages, the CLI).
MIN_LENGTH = 8
MAX_LENGTH = 128


def hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    return _hasher(*key)


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


_DUMMY_HASH: dict[tuple, str] = {}


def burn_verify(password: str) -> None:
    """Spend the time of a real check, so an unknown login is not told apart by timing."""
    h = hasher()
    key = (h.time_cost, h.memory_cost, h.parallelism)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = h.hash("not-a-real-password")
    verify_password(_DUMMY_HASH[key], password)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def _national_digits(phone: str) -> str | None:
    try:
        number = phonenumbers.parse(phone, "AZ")
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", phone)
        return digits or None
    return str(number.national_number)


def contains_personal(
    password: str, *, phone: str | None = None, email: str | None = None, name: str | None = None
) -> bool:
    """Whether the password is or contains the person's phone number, email or name."""
    low = password.casefold()
    squashed = re.sub(r"[\s._\-']+", "", low)
    if phone:
        national = _national_digits(phone)
        digits = re.sub(r"\D", "", password)
        if national and len(national) >= 6 and national in digits:
            return True
    if email:
        email = email.strip().casefold()
        local = email.partition("@")[0]
        if email and email in low:
            return True
        if len(local) >= 4 and (local in low or re.sub(r"[._\-]+", "", local) in squashed):
            return True
    if name:
        name = name.strip().casefold()
        whole = re.sub(r"[\s._\-']+", "", name)
        if len(whole) >= 3 and whole in squashed:
            return True
        for part in re.split(r"[\s._\-']+", name):
            if len(part) >= 4 and part in low:
                return True
    return False
