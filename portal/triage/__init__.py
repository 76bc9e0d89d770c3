from flask import Blueprint

bp = Blueprint("triage", __name__)

from portal.triage import filters, routes  # noqa: E402,F401
