from flask import Blueprint

bp = Blueprint("notices", __name__)

from portal.notices import routes  # noqa: E402,F401
