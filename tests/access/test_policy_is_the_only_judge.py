"""Views and API endpoints never decide access themselves: they fetch through selectors and
act through services, which ask accord.access.policy. This reads every views*.py and api*.py
module and fails, naming the lines, when one calls a permission helper or compares a user
with an owner field (``signer_id == request.user.pk``) or reads ``is_staff``/``is_superuser``."""

from __future__ import annotations

import ast
from pathlib import Path

import accord

SRC = Path(accord.__file__).parent

# Helpers that answer "may this user ...": only policy (and the selectors and services that
# ask it) may call them.
PERMISSION_HELPERS = {"has_custodian_permission", "custodian_ids_with", "is_custodian_staff"}
# Flags on the user that would be an access decision of their own.
USER_FLAGS = {"is_staff", "is_superuser"}
# Fields that name an object's owner: comparing one with a user is deciding who owns it.
OWNER_FIELDS = {
    "applicant",
    "applicant_id",
    "signer",
    "signer_id",
    "signer_user",
    "signer_user_id",
    "user",
    "user_id",
    "owner",
    "owner_id",
    "uploaded_by_id",
}
# The access-rule decorators of accord.core.decorators (public, signed_in, staff(...),
# superuser, sensitive) are how a view declares its rule; they ask policy themselves, so
# wearing them is not deciding. Nothing else is allowed.
ALLOWED: set[tuple[str, int]] = set()


def _modules() -> list[Path]:
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if (p.name.startswith("views") or p.name.startswith("api")) and "migrations" not in p.parts
    )


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        why = None
        if isinstance(node, ast.Call) and _name(node.func) in PERMISSION_HELPERS:
            why = f"calls {_name(node.func)}"
        elif isinstance(node, ast.Attribute) and node.attr in USER_FLAGS:
            why = f"reads .{node.attr}"
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            owners = [
                n.attr for n in operands if isinstance(n, ast.Attribute) and n.attr in OWNER_FIELDS
            ]
            if owners:
                why = f"compares {owners[0]} directly"
        if why:
            rel = str(path.relative_to(SRC.parent))
            if (rel, node.lineno) not in ALLOWED:
                found.append(f"{rel}:{node.lineno}: {why}")
    return found


def test_views_and_endpoints_leave_access_decisions_to_policy():
    modules = _modules()
    assert len(modules) > 10  # the scan found the modules it is meant to read
    offences = [line for path in modules for line in _offences(path)]
    assert not offences, "decide access in accord.access.policy instead:\n" + "\n".join(
        sorted(set(offences))
    )


def test_the_scan_catches_a_view_that_decides_by_itself(tmp_path):
    bad = tmp_path / "views_bad.py"
    bad.write_text(
        "def v(request, licence):\n"
        "    if licence.signer_id == request.user.pk:\n"
        "        pass\n"
        "    if has_custodian_permission(request.user, 1, 'x') or request.user.is_staff:\n"
        "        pass\n"
    )
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        offences = _offences(bad)
    finally:
        SRC = saved
    assert [o.split(": ", 1)[1] for o in offences] == [
        "compares signer_id directly",
        "calls has_custodian_permission",
        "reads .is_staff",
    ]
