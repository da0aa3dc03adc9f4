"""The unique constraints an API write can hit, each mapped to its domain conflict (409), in one place.

A service looks for a clash before it writes, so a caller normally gets the 409 that names the record
holding the value (when it is in the caller's scope). Two writes racing for one value both pass that
look; the loser's INSERT or UPDATE then fails on the constraint, and `unique_conflicts` answers it with
the same code instead of a 500, saying only that the value is taken (the holder committed after the
look, and may lie outside the caller's scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from shared.errors import Conflict

UNIQUE_VIOLATION = "23505"
# Constraint (as the naming convention names it) → the conflict's code and its Chinese message.
UNIQUE_CONFLICTS: dict[str, tuple[str, str]] = {
    "uq_enterprise_uscc": ("enterprise_uscc_duplicate", "该统一社会信用代码已被其他企业使用"),
    "uq_project_project_code": ("project_code_duplicate", "该项目代码已被其他项目使用"),
    "uq_department_code": ("department_duplicate", "该部门代码已被其他部门使用"),
    "uq_department_name": ("department_duplicate", "该部门名称已被其他部门使用"),
    "uq_park_name": ("park_duplicate", "该园区名称已被其他园区使用"),
    "uq_chain_name_group_name": ("chain_duplicate", "同一分组中已有同名产业链"),
}


def _violated(exc: IntegrityError) -> str | None:
    """The name of the unique constraint `exc` reports, or None when it is another integrity error."""
    orig = exc.orig
    cause = getattr(orig, "__cause__", None) or orig
    if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
        return None
    name = getattr(cause, "constraint_name", None)
    return name if isinstance(name, str) else None


def unique_conflict(exc: IntegrityError) -> Conflict | None:
    """The domain conflict for a violated unique constraint of `UNIQUE_CONFLICTS`; None for any other."""
    found = UNIQUE_CONFLICTS.get(_violated(exc) or "")
    if found is None:
        return None
    code, message = found
    return Conflict(message, code=code)


@contextmanager
def unique_conflicts() -> Iterator[None]:
    """Around a write: a violated unique constraint it names becomes its 409; anything else goes on up."""
    try:
        yield
    except IntegrityError as exc:
        conflict = unique_conflict(exc)
        if conflict is None:
            raise
        raise conflict from exc
