from flask import Blueprint

bp = Blueprint("triage", __name__)

from portal.triage import routes  # noqa: E402,F401
