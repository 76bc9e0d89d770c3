from flask import Blueprint

bp = Blueprint("readmissions", __name__)

from portal.readmissions import routes, upload  # noqa: E402,F401
