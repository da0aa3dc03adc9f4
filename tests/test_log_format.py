"""The JSON log line's timestamp: UTC, to the millisecond, whatever second the formatter saw last."""

from __future__ import annotations

import logging
import time

import orjson

from shared.logging import JsonFormatter


def test_the_timestamp_is_the_records_own_as_seconds_change_and_repeat() -> None:
    formatter = JsonFormatter()
    for created in (1700000000.123, 1700000000.999, 1700000001.0, 1700000000.5, 0.25, 1700000059.0421):
        record = logging.LogRecord("wanqianbai.access", logging.INFO, "", 0, "request", (), None)
        record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(record.msecs):03d}Z"
        assert orjson.loads(formatter.format(record))["ts"] == expected
