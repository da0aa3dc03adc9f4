"""The SQL form of `NotifyAccess.addressed`: rows whose regions or departments reach the caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, array

from services.notify.access import NotifyAccess, ancestors
from shared.regions import code_range


def any_between(codes: ColumnElement[Any], low: str, high: str) -> ColumnElement[bool]:
    """Some element of the array `codes` lies in [low, high]."""
    element = func.unnest(codes).table_valued("code").render_derived()
    return select(1).select_from(element).where(element.c.code.between(low, high)).exists()


def reaches(access: NotifyAccess, regions: ColumnElement[Any], departments: ColumnElement[Any]) -> ColumnElement[bool]:
    """Addressed to the caller's region, a region above it or one below it, or to its department."""
    p = access.principal
    low, high = code_range(p.region)
    clauses = [
        regions.overlap(cast(array(ancestors(p.region)), ARRAY(String(6)))),
        any_between(regions, low, high),
    ]
    if p.department:
        clauses.append(departments.any_() == p.department)
    return or_(*clauses)
