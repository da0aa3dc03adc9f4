"""The same-JSON check: a sample of the benchmarked requests, answered by both apps, must match.

Without it a baseline could win by doing less. Bodies are compared after parsing, so key order
and whitespace do not matter but every field, value and list order does.
"""

from __future__ import annotations

import random
from typing import Any

import httpx

Answer = tuple[int, Any]


def sample_paths(get_paths: list[str], list_paths: list[str], count: int = 25, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return rng.sample(get_paths, min(count, len(get_paths))) + list_paths


def fetch(base_url: str, paths: list[str], token: str) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for path in paths:
            response = client.get(path)
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text[:200]
            answers[path] = (response.status_code, body)
    return answers


def _diff(a: Any, b: Any, where: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{where or '/'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}/{key}: only in {'registry' if key in a else 'baseline'}"
            found = _diff(a[key], b[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _diff(x, y, f"{where}/{i}")
            if found:
                return found
        return None
    return None if a == b else f"{where or '/'}: {a!r} != {b!r}"


def compare(registry: dict[str, Answer], baseline: dict[str, Answer]) -> dict[str, Any]:
    """How many sampled requests got identical answers, and the first difference of the others."""
    mismatches: list[str] = []
    for path, (status, body) in registry.items():
        other_status, other_body = baseline.get(path, (None, None))
        if status != 200 or other_status != 200:
            mismatches.append(f"{path}: status registry {status}, baseline {other_status}")
            continue
        found = _diff(body, other_body)
        if found:
            mismatches.append(f"{path}: {found}")
    return {"compared": len(registry), "identical": len(registry) - len(mismatches), "mismatches": mismatches[:10]}
