from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.api import readmissions, routes  # noqa: E402,F401
