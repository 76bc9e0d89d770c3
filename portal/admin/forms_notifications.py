from __future__ import annotations

from portal.forms import BaseForm


class RetryForm(BaseForm):
    """Send a notice again (a button: only the CSRF token)."""
