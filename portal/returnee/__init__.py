from flask import Blueprint

bp = Blueprint("returnee", __name__)

from portal.returnee import rights, routes  # noqa: E402,F401
