"""An embedded PostgreSQL (the `pgserver` package) for running on a machine with nothing installed."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parent.parent / ".data" / "pg"


def start(data_dir: Path = DEFAULT_DIR, *, database: str = "wanqianbai") -> tuple[Any, str]:
    """Start (or attach to) the server under `data_dir`; return it and a URL to `database`.

    The server stops when the last process using it exits (pgserver's reference counting).
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise ValueError(f"unsafe database name: {database!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server, f"postgresql://postgres:@/{database}?host={data_dir}"
