from flask import Blueprint

bp = Blueprint("admin", __name__)

from portal.admin import audit, routes  # noqa: E402,F401
