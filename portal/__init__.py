"""Reintegration Support Portal."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal.config import ROOT, check_production, load_config


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Application factory: `config` is a config name or a dict of overrides (tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    overrides: dict[str, Any] = {}
    if isinstance(config, dict):
        overrides = dict(config)
        config = overrides.pop("CONFIG_NAME", None)
    config_cls = load_config(config)
    app.config.from_object(config_cls)
    app.config["CONFIG_NAME"] = config_cls.__name__
    app.config.update(overrides)
    if config_cls.__name__ == "ProductionConfig":
        check_production(app.config)

    from portal import i18n
    from portal.catalogues import compile_catalogues

    compile_catalogues()  # cheap when the .mo files are up to date
    from portal.db import Database
    from portal.extensions import compress, init_limiter, login_manager
    from portal.services import report_tallies

    Database(app.config["DATABASE_URL"], app.config["SQL_ECHO"]).init_app(app)
    report_tallies.install()  # the reports' partner counts follow every flush
    from portal.services import counts

    counts.install()  # status counts and partner load follow every flush
    from portal.services import versions

    versions.install()  # the queue's data version follows every flush
    i18n.init_app(app)
    from portal import inputs

    inputs.init_app(app)  # before the blueprints: their <int:...> routes use its converter
    login_manager.init_app(app)
    compress.init_app(app)

    from portal import access, auth_setup, cli, errors, templating

    auth_setup.init_app(app)
    access.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.notices import bp as notices_bp
    from portal.partner import bp as partner_bp
    from portal.public import bp as public_bp
    from portal.returnee import bp as returnee_bp
    from portal.triage import bp as triage_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/<lang:lang_code>")
    app.register_blueprint(returnee_bp, url_prefix="/<lang:lang_code>/my")
    app.register_blueprint(triage_bp, url_prefix="/<lang:lang_code>/triage")
    app.register_blueprint(admin_bp, url_prefix="/<lang:lang_code>/admin")
    app.register_blueprint(partner_bp, url_prefix="/<lang:lang_code>/partner")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from portal.reports import bp as reports_bp

    app.register_blueprint(reports_bp, url_prefix="/<lang:lang_code>/reports")
    app.register_blueprint(notices_bp, url_prefix="/<lang:lang_code>/notices")
    from portal.readmissions import bp as readmissions_bp

    app.register_blueprint(readmissions_bp, url_prefix="/<lang:lang_code>")

    from portal.suggestions import bp as suggestions_bp

    app.register_blueprint(suggestions_bp, url_prefix="/<lang:lang_code>/suggestions")
    app.extensions["portal_limiter"] = init_limiter(app)  # a strong reference keeps it alive
    from portal import limits

    limits.init_app(app)
    if app.config.get("TRUSTED_PROXY_COUNT", 0) > 0:
        # X-Forwarded-For and -Proto are believed only from this many proxies in front of us.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from portal import delivery

    delivery.init_app(app)
    return app
