"""`Idempotency-Key` on `POST /imports`: the same upload again replays the first job; another file
under the same key is 422. A multipart body differs per attempt only by its boundary, which the
request's hash leaves out."""

from __future__ import annotations

import httpx

from services.registry.imports.runner import ImportRunner
from tests.conftest import ADMIN
from tests.test_imports import ENTERPRISE_HEADER, csv_bytes, enterprise_row, upload


async def test_a_retried_upload_with_its_key_replays_the_first_job(
    client: httpx.AsyncClient, inline: ImportRunner
) -> None:
    content = csv_bytes([ENTERPRISE_HEADER, enterprise_row(71), enterprise_row(72)])
    headers = ADMIN | {"Idempotency-Key": "upload-71"}
    first = await upload(client, content, headers=headers)
    again = await upload(client, content, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["location"] == first.headers["location"] == f"/api/v1/imports/{first.json()['id']}"
    jobs = (await client.get("/api/v1/imports", headers=ADMIN)).json()["items"]
    assert [j["id"] for j in jobs] == [first.json()["id"]]
    enterprises = (await client.get("/api/v1/enterprises", headers=ADMIN)).json()["items"]
    assert len(enterprises) == 2


async def test_another_file_under_the_same_key_is_422(client: httpx.AsyncClient, inline: ImportRunner) -> None:
    headers = ADMIN | {"Idempotency-Key": "upload-73"}
    first = await upload(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(73)]), headers=headers)
    assert first.status_code == 202
    other = await upload(client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(74)]), headers=headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    other_kind = await upload(
        client, csv_bytes([ENTERPRISE_HEADER, enterprise_row(73)]), kind="project", headers=headers
    )
    assert (other_kind.status_code, other_kind.json()["code"]) == (422, "idempotency_key_reused")


async def test_the_import_operation_documents_the_key(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/v1/imports"]["post"]
    assert "idempotency-key" in {p["name"].lower() for p in operation["parameters"] if p["in"] == "header"}
