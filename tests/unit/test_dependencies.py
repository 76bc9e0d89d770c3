"""What the README's recipes need is declared in pyproject.toml."""

import tomllib
from pathlib import Path


def test_the_redis_client_is_a_declared_dependency():
    """The probe's finding: the README's production recipe (RATELIMIT_STORAGE_URI=redis://…)
    did not start, because nothing installed the redis package. It is a base dependency."""
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    names = [
        dep.split(">")[0].split("=")[0].split("[")[0].strip().lower()
        for dep in project["project"]["dependencies"]
    ]
    assert "redis" in names
