"""Column types shared by the models."""

from __future__ import annotations

import enum

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def enum_column(enum_cls: type[enum.Enum], length: int = 30) -> Enum:
    """Store an enum as its string value in a VARCHAR (no native enum type, easy to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite too (which drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value
