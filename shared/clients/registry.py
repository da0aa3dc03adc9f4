"""`RegistryClient`: the registry's API (名单库) as typed methods, for the other services.

Errors and retries are those of `ServiceClient` (see shared.clients.base). Reads are retried;
creates only when given an `Idempotency-Key`; `update_*` (PATCH with If-Match) never, so a stale
`version` surfaces as PreconditionFailed rather than being hidden by a repeat.
"""

from __future__ import annotations

import uuid

from shared.clients.base import ServiceClient, Timeout
from shared.clients.params import QueryValue, segment
from shared.concurrency import etag_for
from shared.schemas.common import Page
from shared.schemas.enums import EntityKind, Level, ParkGrade
from shared.schemas.registry.actions.metrics import MetricCreate
from shared.schemas.registry.actions.projects import ProjectProgressUpdate
from shared.schemas.registry.actions.reference import DepartmentCreate, ParkCreate, ParkUpdate
from shared.schemas.registry.responses.entities import EnterpriseRead, IndustryRead, ProjectRead
from shared.schemas.registry.responses.feed import ChangeFeedPage
from shared.schemas.registry.responses.metrics import MetricRead
from shared.schemas.registry.responses.progress import ProgressRead
from shared.schemas.registry.responses.reference import DepartmentRead, ParkRead, RegionDetail, RegionRead

API = "/api/v1"
EntityRead = IndustryRead | EnterpriseRead | ProjectRead
ENTITY_PATHS = {EntityKind.industry: "industries", EntityKind.enterprise: "enterprises", EntityKind.project: "projects"}


class RegistryClient(ServiceClient):
    peer = "名单库"

    async def get_region(self, code: str, *, request_timeout: Timeout | None = None) -> RegionDetail:
        """A region and its direct children. NotFound `region_not_found` for an unknown code."""
        return await self.call(RegionDetail, "GET", f"{API}/regions/{segment(code)}", request_timeout=request_timeout)

    async def list_regions(
        self, *, level: Level | None = None, parent: str | None = None, request_timeout: Timeout | None = None
    ) -> Page[RegionRead]:
        """Every matching region in one page (the list is small and never paged)."""
        return await self.call(
            Page[RegionRead],
            "GET",
            f"{API}/regions",
            params={"level": level, "parent": parent},
            request_timeout=request_timeout,
        )

    async def list_departments(
        self,
        *,
        level: Level | None = None,
        region: str | None = None,
        q: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
    ) -> Page[DepartmentRead]:
        params: dict[str, QueryValue] = {
            "level": level,
            "region": region,
            "q": q,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
        return await self.call(
            Page[DepartmentRead], "GET", f"{API}/departments", params=params, request_timeout=request_timeout
        )

    async def get_department(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> DepartmentRead:
        return await self.call(
            DepartmentRead, "GET", f"{API}/departments/{segment(id)}", request_timeout=request_timeout
        )

    async def create_department(
        self, body: DepartmentCreate, *, idempotency_key: str | None = None, request_timeout: Timeout | None = None
    ) -> DepartmentRead:
        """Conflict `department_duplicate` when the code or name exists; retried only with a key."""
        return await self.call(
            DepartmentRead,
            "POST",
            f"{API}/departments",
            json=body.model_dump(mode="json"),
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
        )

    async def list_parks(
        self,
        *,
        grade: ParkGrade | None = None,
        five_good: bool | None = None,
        region: str | None = None,
        q: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
    ) -> Page[ParkRead]:
        params: dict[str, QueryValue] = {
            "grade": grade,
            "five_good": five_good,
            "region": region,
            "q": q,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
        return await self.call(Page[ParkRead], "GET", f"{API}/parks", params=params, request_timeout=request_timeout)

    async def get_park(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> ParkRead:
        return await self.call(ParkRead, "GET", f"{API}/parks/{segment(id)}", request_timeout=request_timeout)

    async def create_park(
        self, body: ParkCreate, *, idempotency_key: str | None = None, request_timeout: Timeout | None = None
    ) -> ParkRead:
        """Conflict `park_duplicate` for a taken name, Invalid `region_unknown`; retried only with a key."""
        return await self.call(
            ParkRead,
            "POST",
            f"{API}/parks",
            json=body.model_dump(mode="json"),
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
        )

    async def update_park(
        self, id: uuid.UUID, body: ParkUpdate, version: int, *, request_timeout: Timeout | None = None
    ) -> ParkRead:
        """Change the fields set on `body` (merge semantics) if the park is still at `version`.

        PreconditionFailed (extra `version` = the current one) when it has moved on; never retried.
        """
        return await self.call(
            ParkRead,
            "PATCH",
            f"{API}/parks/{segment(id)}",
            json=body.model_dump(mode="json", exclude_unset=True),
            headers={"If-Match": etag_for(version)},
            request_timeout=request_timeout,
        )

    async def get_industry(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> IndustryRead:
        return await self.call(IndustryRead, "GET", f"{API}/industries/{segment(id)}", request_timeout=request_timeout)

    async def get_enterprise(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> EnterpriseRead:
        return await self.call(
            EnterpriseRead, "GET", f"{API}/enterprises/{segment(id)}", request_timeout=request_timeout
        )

    async def list_enterprises(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
        **filters: QueryValue,
    ) -> Page[EnterpriseRead]:
        """One page; `filters` are the registry's query parameters (`level=`, `region=`, `tier=`, ...)."""
        params = {**filters, "limit": limit, "cursor": cursor}
        return await self.call(
            Page[EnterpriseRead], "GET", f"{API}/enterprises", params=params, request_timeout=request_timeout
        )

    async def list_industries(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
        **filters: QueryValue,
    ) -> Page[IndustryRead]:
        """One page; `filters` are the registry's query parameters (`level=`, `region=`, `as_of=`, ...)."""
        params = {**filters, "limit": limit, "cursor": cursor}
        return await self.call(
            Page[IndustryRead], "GET", f"{API}/industries", params=params, request_timeout=request_timeout
        )

    async def list_projects(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
        **filters: QueryValue,
    ) -> Page[ProjectRead]:
        """One page; `filters` are the registry's query parameters (`level=`, `region=`, `stage=`, ...)."""
        params = {**filters, "limit": limit, "cursor": cursor}
        return await self.call(
            Page[ProjectRead], "GET", f"{API}/projects", params=params, request_timeout=request_timeout
        )

    async def list_entities(
        self,
        kind: EntityKind,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        request_timeout: Timeout | None = None,
        **filters: QueryValue,
    ) -> Page[EntityRead]:
        """One page of the list of `kind` (industries, enterprises or projects), with the same filters."""
        params = {**filters, "limit": limit, "cursor": cursor}
        path = f"{API}/{ENTITY_PATHS[kind]}"
        page: Page[IndustryRead] | Page[EnterpriseRead] | Page[ProjectRead]
        if kind is EntityKind.industry:
            page = await self.call(Page[IndustryRead], "GET", path, params=params, request_timeout=request_timeout)
        elif kind is EntityKind.enterprise:
            page = await self.call(Page[EnterpriseRead], "GET", path, params=params, request_timeout=request_timeout)
        else:
            page = await self.call(Page[ProjectRead], "GET", path, params=params, request_timeout=request_timeout)
        return Page[EntityRead].model_construct(items=list(page.items), next_cursor=page.next_cursor)

    async def get_project(self, id: uuid.UUID, *, request_timeout: Timeout | None = None) -> ProjectRead:
        return await self.call(ProjectRead, "GET", f"{API}/projects/{segment(id)}", request_timeout=request_timeout)

    async def update_project(
        self, id: uuid.UUID, body: ProjectProgressUpdate, version: int, *, request_timeout: Timeout | None = None
    ) -> ProjectRead:
        """Change a project's stage and approvals (the fields set on `body`) if it is still at `version`.

        PreconditionFailed (extra `version` = the current one) when it has moved on; never retried. A
        `service` caller may change only these two fields (Forbidden `role_read_only` otherwise).
        """
        return await self.call(
            ProjectRead,
            "PATCH",
            f"{API}/projects/{segment(id)}",
            json=body.model_dump(mode="json", exclude_unset=True),
            headers={"If-Match": etag_for(version)},
            request_timeout=request_timeout,
        )

    async def record_metric(
        self, body: MetricCreate, idempotency_key: str, *, request_timeout: Timeout | None = None
    ) -> MetricRead:
        """Record one metric value. The key is required: it makes the call safe to retry, and a
        repeat with the same key and body returns the first result instead of a second revision."""
        return await self.call(
            MetricRead,
            "POST",
            f"{API}/metrics",
            json=body.model_dump(mode="json"),
            idempotency_key=idempotency_key,
            request_timeout=request_timeout,
        )

    async def get_progress(self, *, request_timeout: Timeout | None = None, **filters: QueryValue) -> ProgressRead:
        return await self.call(ProgressRead, "GET", f"{API}/progress", params=filters, request_timeout=request_timeout)

    async def read_events(
        self, after: str | int = 0, limit: int = 100, *, request_timeout: Timeout | None = None
    ) -> ChangeFeedPage:
        """Change events after the cursor `after`; pass the returned `next_cursor` to the next call.

        With no new events `items` is empty and `next_cursor` equals `after`: poll again later.
        """
        return await self.call(
            ChangeFeedPage,
            "GET",
            f"{API}/events",
            params={"after": after, "limit": limit},
            request_timeout=request_timeout,
        )
