"""The domain does not depend on the pages: services, models and the API import no page module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "portal"
PAGE_PACKAGES = ("auth", "public", "returnee", "triage", "partner", "admin")
DOMAIN = ["services", "models", "api"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_imports_no_page_module(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in _imports(path):
            parts = module.split(".")
            if len(parts) >= 2 and parts[0] == "portal" and parts[1] in PAGE_PACKAGES:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_assistance_kind_is_a_domain_enum():
    from portal.models import AssistanceKind, Category

    assert AssistanceKind.RENT_SUPPORT in AssistanceKind.for_category(Category.HOUSING)
    assert AssistanceKind.OTHER in AssistanceKind.for_category(Category.DOCUMENTATION)
