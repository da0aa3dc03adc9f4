"""Which routes a running server has, from its OpenAPI document: benches of routes still being
built report "not available" instead of failing."""

from __future__ import annotations

from typing import Any

import httpx


def operations(base_url: str) -> dict[str, dict[str, Any]]:
    """{path template: {method: operation}} of the server's OpenAPI document; {} without one."""
    try:
        response = httpx.get(base_url + "/openapi.json", timeout=30)
        response.raise_for_status()
    except httpx.HTTPError:
        return {}
    paths: dict[str, dict[str, Any]] = response.json().get("paths", {})
    return paths


def operation(paths: dict[str, dict[str, Any]], method: str, path: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = paths.get(path, {}).get(method.lower())
    return found


def query_parameters(op: dict[str, Any]) -> dict[str, bool]:
    """{name: required} of an operation's query parameters."""
    return {p["name"]: bool(p.get("required")) for p in op.get("parameters", []) if p.get("in") == "query"}
