"""notify's published API description: every operation described, authorized by bearer, its errors documented."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.notify.subscribers.schemas import SubscriberCreate
from shared.errors import PROBLEM_JSON
from shared.schemas.notify.actions.circulars import CircularCreate


@pytest.mark.parametrize("model", [CircularCreate, SubscriberCreate], ids=lambda m: m.__name__)
def test_request_examples_are_valid_requests(model: type[BaseModel]) -> None:
    examples = model.model_json_schema()["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


def test_every_operation_has_a_summary_a_unique_id_and_documented_errors(notify_app: Any) -> None:
    spec = notify_app.openapi()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "平台签发的 JWT",
    }
    seen: set[str] = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation["operationId"] not in seen
            seen.add(operation["operationId"])
            if path.startswith("/api/v1/"):
                assert operation["security"] == [{"bearerAuth": []}]
                assert PROBLEM_JSON in operation["responses"]["401"]["content"], f"{method} {path}"
    routes = [r for r in notify_app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    assert len(seen) == sum(len(r.methods or ()) for r in routes) > 0


def test_operations_with_a_body_document_413_and_those_needing_if_match_document_412_and_428(
    notify_app: Any,
) -> None:
    spec = notify_app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "413" in operation["responses"], f"{method} {path}"
            if any(p["name"] == "if-match" for p in operation.get("parameters", [])):
                assert {"412", "428"} <= operation["responses"].keys(), f"{method} {path}"
