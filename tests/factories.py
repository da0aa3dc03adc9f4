"""Valid request bodies for the registry's entities, overridable per test."""

from __future__ import annotations

from typing import Any

from shared.identifiers import org_code_check_char, uscc_check_char


def make_uscc(n: int, region: str = "430100") -> str:
    """A synthetic code passing both check characters, unique per `n`."""
    body = f"{n:08d}"
    first = "91" + region + body + org_code_check_char(body)
    return first + uscc_check_char(first)


def industry(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "工程机械",
        "level": "province",
        "region_code": "430000",
        "domain": "industry_it",
        "pathway": "supporting_collaboration",
        "target_tier": "trillion",
    } | overrides


def enterprise(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"湖南测试企业{n}号有限公司",
        "level": "city",
        "region_code": "430100",
        "domain": "industry_it",
        "pathway": "nurture",
        "target_tier": "ten_billion",
        "uscc": make_uscc(n),
        "labels": ["little_giant"],
    } | overrides


def project(n: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"测试项目{n}",
        "level": "county",
        "region_code": "430104",
        "domain": "industry_it",
        "pathway": "transformation",
        "target_tier": "hundred_million",
        "total_investment": "12.5",
        "project_code": f"2024-430104-39-03-{n:06d}",
    } | overrides
