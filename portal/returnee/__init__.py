from flask import Blueprint

bp = Blueprint("returnee", __name__)

from portal.returnee import routes  # noqa: E402,F401
