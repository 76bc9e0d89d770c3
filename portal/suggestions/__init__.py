from flask import Blueprint

bp = Blueprint("suggestions", __name__)

from portal.suggestions import routes  # noqa: E402,F401
