"""The published API description stays true: examples validate, every operation is described."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.registry.approvals.schemas import ApprovalUpdate
from services.registry.entities.schemas import EnterpriseCreate, IndustryCreate, ProjectCreate
from services.registry.progress.schemas import TargetCreate
from services.registry.reference.schemas import ChainCreate, PersonCreate
from services.registry.roster.schemas import RosterAdjustmentCreate, RosterBatchCreate
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.actions.reference import DepartmentCreate, ParkCreate
from tests.harness import asgi_client

EXAMPLED = [
    DepartmentCreate,
    ChainCreate,
    ParkCreate,
    PersonCreate,
    IndustryCreate,
    EnterpriseCreate,
    ProjectCreate,
    ApprovalUpdate,
    RosterAdjustmentCreate,
    RosterBatchCreate,
    MetricCreate,
    TargetCreate,
]


@pytest.mark.parametrize("model", EXAMPLED, ids=lambda m: m.__name__)
def test_request_examples_are_valid_requests(model: type[BaseModel]) -> None:
    examples = model.model_json_schema()["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


def test_every_operation_has_a_summary_and_a_unique_id(registry_app: Any) -> None:
    spec = registry_app.openapi()
    seen: set[str] = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation["operationId"] not in seen
            seen.add(operation["operationId"])
    # and every route the app serves is in the description (so the loop above covered them all)
    routes = [r for r in registry_app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    assert len(seen) == sum(len(r.methods or ()) for r in routes) > 0


def test_paging_parameters_follow_each_list_s_own_filters(registry_app: Any) -> None:
    spec = registry_app.openapi()

    def names(path: str) -> list[str]:
        return [p["name"] for p in spec["paths"][path]["get"]["parameters"]]

    assert names("/api/v1/metrics") == ["entity_id", "metric", "year", "history", "known_at", "limit", "cursor"]
    assert names("/api/v1/targets")[-3:] == ["sort", "limit", "cursor"]
    assert names("/api/v1/roster-adjustments")[-3:] == ["sort", "limit", "cursor"]
    assert names("/api/v1/parks") == ["q", "sort", "limit", "cursor", "grade", "five_good", "region"]
    assert names("/api/v1/enterprises")[-6:] == ["sort", "limit", "cursor", "label", "uscc", "industry"]
    limit = next(p for p in spec["paths"]["/api/v1/projects"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50, "title": "Limit"}


@pytest.mark.parametrize("service", ["registry_app", "scheduler_app", "notify_app"])
def test_every_operation_documents_its_problems_as_problem_json_and_the_bearer_scheme(
    service: str, request: pytest.FixtureRequest
) -> None:
    spec = request.getfixturevalue(service).openapi()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "平台签发的 JWT",
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            expected = {"422"}
            if path.startswith("/api/v1"):
                expected |= {"401", "403", "404", "503"}
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
            if "{" in path:
                expected.add("404")
            if method in ("patch", "delete"):
                expected.add("409")
            if any(parameter["name"] == "If-Match" for parameter in operation.get("parameters", [])):
                expected |= {"412", "428"}
            if method in ("post", "patch", "put"):
                expected |= {"400", "409", "413"}
            documented = {
                status for status, response in operation["responses"].items() if response.get("content") == problem
            }
            assert expected <= documented, (method, path, expected - documented)


@pytest.mark.parametrize("service", ["registry", "scheduler", "notify"])
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_every_asset_from_the_service_itself(
    service: str, page: str, registry_app: Any, scheduler_app: Any, notify_app: Any
) -> None:
    app = {"registry": registry_app, "scheduler": scheduler_app, "notify": notify_app}[service]
    async with asgi_client(app, service) as client:
        html = (await client.get(page)).text
        assets = re.findall(r"""(?:src|href)=["']?([^"' >]+)""", html)
        assert assets, html
        assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
        assert "cdn" not in html.lower()
        for asset in assets:
            response = await client.get(asset)
            assert response.status_code == 200, asset
            assert len(response.content) > 1000, asset
        spec = await client.get(app.openapi_url)
        assert spec.status_code == 200
        assert spec.json()["info"]["title"] == app.title
