from flask import Blueprint

bp = Blueprint("returnee", __name__)

from portal.returnee import followup_routes, rights, routes  # noqa: E402,F401
