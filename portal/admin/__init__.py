from flask import Blueprint

bp = Blueprint("admin", __name__)

from portal.admin import accounts, routes  # noqa: E402,F401
