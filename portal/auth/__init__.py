from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import invitation, recovery, routes  # noqa: E402,F401
