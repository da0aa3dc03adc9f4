"""CI: the API fuzzer (schemathesis) against every service's OpenAPI, each service a real process.

A throw-away database on TEST_DATABASE_URL's server, migrated; each service started with uvicorn on a
port of its own; schemathesis run against its /openapi.json with an admin token, failing on any 5xx,
any status the document does not list, any response that breaks its schema or content type. Bounded
by FUZZ_EXAMPLES per operation (default 30) and FUZZ_MAX_TIME seconds per service (default 150; the
fuzzing and stateful phases go on until it is spent). FUZZ_ONLY=notify,scheduler fuzzes only those
services (all are still started, since each calls its peers).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import migrate  # noqa: E402
from shared.auth import mint_token  # noqa: E402
from shared.cli import SERVICES, wait_ready  # noqa: E402
from tests.conftest import _with_database, admin_sql  # noqa: E402

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SECRET = secrets.token_urlsafe(48)  # this run only


def main() -> int:
    server_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"wqb_fuzz_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_sql(server_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    failed: list[str] = []
    try:
        for spec in SERVICES:
            migrate.upgrade(spec.name, url)
        token = mint_token(secret=SECRET, sub="fuzz-admin", role="admin", region="430000", name="模糊测试")
        ports = {spec.name: 18001 + offset for offset, spec in enumerate(SERVICES)}
        # Every service up at once, each calling its peers' fuzz instances: a peer call that fails is a
        # documented 502, but a fuzz run is about what the service itself answers.
        env = os.environ | {
            "DATABASE_URL": url,
            "JWT_SECRET": SECRET,
            "ACCESS_LOG": "false",
            "LOG_LEVEL": "WARNING",
            "WEBHOOK_ALLOWED_HOSTS": '["localhost", "127.0.0.1"]',
            "REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
            "NOTIFY_URL": f"http://127.0.0.1:{ports.get('notify', 18003)}",
        }
        processes = [
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    spec.app,
                    "--factory",
                    "--port",
                    str(ports[spec.name]),
                    "--no-access-log",
                ],
                env=env,
                cwd=ROOT,
            )
            for spec in SERVICES
        ]
        try:
            for spec in SERVICES:
                if not wait_ready(ports[spec.name], time.monotonic() + 180):
                    print(f"fuzz: {spec.name} never became ready", file=sys.stderr)
                    return 1
            only = set(filter(None, os.environ.get("FUZZ_ONLY", "").split(",")))
            for spec in SERVICES:
                if only and spec.name not in only:
                    continue
                fuzz = [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "run",
                    f"http://127.0.0.1:{ports[spec.name]}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    os.environ.get("FUZZ_EXAMPLES", "30"),
                    "--max-time",
                    os.environ.get("FUZZ_MAX_TIME", "150"),
                    "--seed",
                    os.environ.get("FUZZ_SEED", "20261201"),
                    "--generation-database",
                    "none",
                    # One worker: hypothesis renders lambdas with ast.parse, which CPython 3.11 does not make
                    # safe across threads ("AST constructor recursion depth mismatch" aborts the run).
                    "--workers",
                    "1",
                    "--no-color",
                ]
                print(f"== fuzz {spec.name}", flush=True)
                if subprocess.run(fuzz, cwd=ROOT, check=False).returncode != 0:  # noqa: S603
                    failed.append(spec.name)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
    finally:
        asyncio.run(admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if failed:
        print(f"fuzz: failures in {', '.join(failed)}", file=sys.stderr)
        return 1
    print("fuzz: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
