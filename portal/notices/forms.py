from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from portal.forms import BaseForm
from portal.models import NotificationChannel, Role

C = NotificationChannel


class ChannelsForm(BaseForm):
    """How a person is told: the portal list always; SMS and email as they choose."""

    sms = BooleanField(_l("By SMS"))
    email = BooleanField(_l("By email"))

    def __init__(self, formdata=None, *, user, **kwargs) -> None:
        channels = user.channels
        super().__init__(
            formdata,
            sms=C.SMS in channels,
            email=C.EMAIL in channels,
            **kwargs,
        )
        self.user = user
        if user.role == Role.SOCIAL_WORKER:
            # Social workers are told in the portal; email is one summary a day.
            self.email.label.text = _l("A summary by email once a day")
            del self.sms
        elif not user.phone:
            del self.sms
        if "email" in self._fields and not user.email:
            del self.email

    def chosen(self) -> list[NotificationChannel]:
        picked = [C.PORTAL]
        if "sms" in self._fields and self.sms.data:
            picked.append(C.SMS)
        if "email" in self._fields and self.email.data:
            picked.append(C.EMAIL)
        return picked


class ReadAllForm(BaseForm):
    """Mark every notice read (a button: only the CSRF token)."""
