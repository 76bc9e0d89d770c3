from flask import Blueprint

bp = Blueprint("admin", __name__)

from portal.admin import accounts, audit, routes  # noqa: E402,F401

# isort: split
from portal.admin import notifications  # noqa: E402,F401  (outgoing notices)
