"""Print the SMS parts each notification costs, per template and language, with worst-case
values (reference WWWW-WWWW, ids of 10 digits, a long production base URL).

    .venv/bin/python bench/sms_segments.py [BASE_URL]
"""

from __future__ import annotations

import sys

from portal import create_app
from portal.delivery.samples import PRODUCTION_BASE_URL, templates, worst_case_context
from portal.delivery.segments import count_sms
from portal.i18n import LANGUAGES
from portal.models import NotificationChannel
from portal.services import notify


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else PRODUCTION_BASE_URL
    app = create_app(
        {"CONFIG_NAME": "testing", "DATABASE_URL": "sqlite://", "PORTAL_BASE_URL": base}
    )
    print(f"base URL: {base} ({len(base)} characters)")
    print(f"{'template':32} " + "  ".join(f"{lang:>18}" for lang in LANGUAGES))
    worst = 0
    with app.app_context():
        context = worst_case_context()
        for template in templates(NotificationChannel.SMS):
            cells = []
            for lang in LANGUAGES:
                _s, body = notify.render(template, NotificationChannel.SMS, lang, context)
                c = count_sms(body)
                worst = max(worst, c.segments)
                cells.append(f"{c.segments} part(s) {c.units:>3} {c.encoding}")
            print(f"{template:32} " + "  ".join(f"{cell:>18}" for cell in cells))
    print(f"most parts: {worst}")


if __name__ == "__main__":
    main()
