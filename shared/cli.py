"""Developer and operator commands: `run`, `migrate`, `token`. Invoked by the Makefile.

python -m shared.cli run        # embedded PostgreSQL unless DATABASE_URL is set; every service
python -m shared.cli migrate    # every service's schema to head
python -m shared.cli token --role city --region 430100
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from shared import migrate
from shared.auth import mint_token

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
SECRET_FILE = DATA / "dev-jwt-secret"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app: str
    port_env: str
    default_port: int


SERVICES = (
    ServiceSpec("registry", "services.registry.main:create_app", "REGISTRY_PORT", 8001),
    ServiceSpec("scheduler", "services.scheduler.main:create_app", "SCHEDULER_PORT", 8002),
    ServiceSpec("notify", "services.notify.main:create_app", "NOTIFY_PORT", 8003),
)
# `make run` is a developer's machine: webhooks may go to receivers on it unless told otherwise.
DEV_WEBHOOK_ALLOWED_HOSTS = '["127.0.0.1", "localhost", "::1"]'


def dev_secret() -> str:
    """JWT_SECRET, or a development secret kept under .data/ so tokens survive restarts."""
    if os.environ.get("JWT_SECRET"):
        return os.environ["JWT_SECRET"]
    DATA.mkdir(exist_ok=True)
    if not SECRET_FILE.exists():
        SECRET_FILE.write_text(secrets.token_urlsafe(48))
        SECRET_FILE.chmod(0o600)
    return SECRET_FILE.read_text().strip()


def database_url() -> tuple[str, object | None]:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    from shared import embedded_pg

    print("DATABASE_URL 未设置：启动内置 PostgreSQL（数据目录 ./.data/pg）…", flush=True)
    server, url = embedded_pg.start()
    return url, server


def cmd_migrate(_: argparse.Namespace) -> int:
    url, server = database_url()
    for spec in SERVICES:
        migrate.upgrade(spec.name, url)
        print(f"{spec.name}: schema at {migrate.head_revision(spec.name)}")
    del server
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    print(
        mint_token(
            secret=dev_secret(),
            sub=args.sub or f"dev-{args.role}-{args.region}",
            role=args.role,
            region=args.region,
            department=args.department or None,
            name=args.name or f"开发用户（{args.role}）",
            ttl_s=args.ttl_hours * 3600,
        )
    )
    return 0


def wait_ready(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def cmd_run(args: argparse.Namespace) -> int:
    url, server = database_url()
    for spec in SERVICES:
        migrate.upgrade(spec.name, url)
    secret = dev_secret()
    env = {"WEBHOOK_ALLOWED_HOSTS": DEV_WEBHOOK_ALLOWED_HOSTS} | dict(os.environ)
    env |= {"DATABASE_URL": url, "JWT_SECRET": secret}
    procs: list[tuple[ServiceSpec, int, subprocess.Popen[bytes]]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for spec in SERVICES:
            port = int(os.environ.get(spec.port_env, spec.default_port))
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                spec.app,
                "--factory",
                "--host",
                args.host,
                "--port",
                str(port),
                "--no-access-log",
            ]
            procs.append((spec, port, subprocess.Popen(command, env=env, cwd=ROOT)))  # noqa: S603
        deadline = time.monotonic() + 60
        for spec, port, proc in procs:
            if not wait_ready(port, deadline) or proc.poll() is not None:
                print(f"{spec.name} 未能在 60 秒内就绪", file=sys.stderr)
                return 1
        token = mint_token(secret=secret, sub="dev-admin", role="admin", region="430000", name="开发管理员")
        print("\n万千百平台已启动 / the platform is up:")
        for spec, port, _ in procs:
            print(f"  {spec.name:<9} http://127.0.0.1:{port}/docs")
        print(f"\n开发管理员令牌 / development admin token (12 h):\n  {token}\n")
        print("Ctrl-C 停止全部服务与内置数据库 / Ctrl-C stops everything.", flush=True)
        while not stopping:
            if any(proc.poll() is not None for _, _, proc in procs):
                print("a service exited; stopping", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        for _, _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for _, _, proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
            print("内置 PostgreSQL 已停止 / embedded PostgreSQL stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wanqianbai")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start every service")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.set_defaults(fn=cmd_run)
    sub.add_parser("migrate", help="migrate every service to head").set_defaults(fn=cmd_migrate)
    tok = sub.add_parser("token", help="print a signed development JWT")
    tok.add_argument("--role", default="admin", choices=["admin", "department", "city", "county", "viewer", "service"])
    tok.add_argument("--region", default="430000")
    tok.add_argument("--department", default="")
    tok.add_argument("--sub", default="")
    tok.add_argument("--name", default="")
    tok.add_argument("--ttl-hours", type=int, default=12)
    tok.set_defaults(fn=cmd_token)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
