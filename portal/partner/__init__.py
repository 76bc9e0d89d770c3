from flask import Blueprint

bp = Blueprint("partner", __name__)

from portal.partner import routes  # noqa: E402,F401
