"""What a write needs to know about the request it serves: who, which request, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal, authenticate


@dataclass(frozen=True, slots=True)
class RequestContext:
    principal: Principal
    request_id: str | None
    now: dt.datetime


async def request_context(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> RequestContext:
    return RequestContext(
        principal=principal,
        request_id=request.scope.get("state", {}).get("request_id"),
        now=dt.datetime.now(dt.UTC),
    )


PrincipalDep = Annotated[Principal, Depends(authenticate)]
ContextDep = Annotated[RequestContext, Depends(request_context)]
