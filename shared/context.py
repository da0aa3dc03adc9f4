"""What a write needs to know about the request it serves: who, which request, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

from shared.auth import Principal, authenticate


def local_date(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar date of `now` where the programme runs (`TIMEZONE`, default Asia/Shanghai)."""
    return now.astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class RequestContext:
    principal: Principal
    request_id: str | None
    now: dt.datetime
    zone: ZoneInfo

    @property
    def today(self) -> dt.date:
        return local_date(self.now, self.zone)


async def request_context(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> RequestContext:
    return RequestContext(
        principal=principal,
        request_id=request.scope.get("state", {}).get("request_id"),
        now=request.app.state.platform.clock(),
        zone=request.app.state.platform.zone,
    )


PrincipalDep = Annotated[Principal, Depends(authenticate)]
ContextDep = Annotated[RequestContext, Depends(request_context)]
