"""The direct lane: the most requested reads answered straight from the ASGI scope, ahead of FastAPI's routing.

A GET the registry answers thousands of times a second spent about as much CPU in the framework around
its endpoint (matching it against every route, FastAPI's request handling and dependency solving, the
exception and exit-stack layers) as in the endpoint itself. An endpoint marked `@direct` takes nothing
but the `Request` and returns a ready `Response`, so it needs none of that: the lane, the innermost of
the app's own middleware (inside CORS, the request id, metrics and the access log), matches the request
against the few direct routes and awaits the endpoint itself.

The lane only ever answers with what the endpoint returned, and only when it returned: a request it is
not sure of, or one whose endpoint raised (a 401, a 404, a 422, a database error), goes on to the app,
which routes it and runs the same endpoint again, so every error is rendered by the app's own handlers.
The route stays an ordinary path operation, documented in the OpenAPI like any other. Exact by
construction:

- the same routing: a path the lane matches is left to the app if a route before it could match it too;
- the same query rule: a query parameter the operation does not take goes to the app (422 there);
- the same endpoint on the same request, and its response sent as FastAPI would send it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from re import Match, Pattern
from typing import TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

DirectEndpoint = Callable[[Request], Awaitable[Response]]
EndpointT = TypeVar("EndpointT", bound=DirectEndpoint)

_MARK = "__direct_read__"


def direct(endpoint: EndpointT) -> EndpointT:
    """Mark a GET endpoint the direct lane may serve: it takes only the `Request`, returns a `Response`,
    and changes nothing (it may be run twice for one request when it raises)."""
    setattr(endpoint, _MARK, True)
    return endpoint


@dataclass(frozen=True, slots=True)
class DirectRoute:
    route: APIRoute
    allowed: frozenset[str]  # the query parameters the operation takes
    earlier: tuple[Pattern[str], ...]  # routes tried before it that could match the same paths

    def claims(self, path: str) -> Match[str] | None:
        match = self.route.path_regex.match(path)
        if match is None or any(pattern.match(path) for pattern in self.earlier):
            return None
        return match


def direct_routes(app: FastAPI, allowed: Callable[[APIRoute], frozenset[str]]) -> list[DirectRoute]:
    """The app's routes marked `@direct`, checked to be servable by the lane; `allowed` gives a route's
    query parameter names, by the rule the app's routes apply."""
    found: list[DirectRoute] = []
    routes = app.router.routes
    for index, route in enumerate(routes):
        if not (isinstance(route, APIRoute) and getattr(route.endpoint, _MARK, False)):
            continue
        _check(route)
        found.append(DirectRoute(route, allowed(route), _overlapping(route, routes[:index])))
    return found


def _check(route: APIRoute) -> None:
    parameters = list(inspect.signature(route.endpoint).parameters.values())
    if route.methods != {"GET"} or route.dependencies or len(parameters) != 1:
        raise TypeError(f"{route.path}: a direct read is a GET taking only the Request, with no dependencies")
    if parameters[0].annotation not in (Request, "Request"):
        raise TypeError(f"{route.path}: a direct read's one parameter is the Request")


def _static_prefix(path: str) -> str:
    return path.split("{", 1)[0]


def _overlapping(route: APIRoute, earlier: Sequence[BaseRoute]) -> tuple[Pattern[str], ...]:
    """The path patterns of the GET routes before `route` that may match a path it matches too: those whose
    fixed beginnings agree with its own. Only these could take a request from it in the app's routing."""
    prefix = _static_prefix(route.path)
    patterns: list[Pattern[str]] = []
    for other in earlier:
        path = getattr(other, "path", None)
        pattern = getattr(other, "path_regex", None)
        if path is None or pattern is None:
            continue
        if isinstance(other, Route) and other.methods is not None and "GET" not in other.methods:
            continue  # a path match with another method loses to a full match in Starlette's routing
        other_prefix = _static_prefix(path)
        if prefix.startswith(other_prefix) or other_prefix.startswith(prefix):
            patterns.append(pattern)
    return tuple(patterns)


class DirectLane:
    """The ASGI middleware serving `routes` directly; everything else, and anything they decline, goes on."""

    def __init__(self, app: ASGIApp, routes: Sequence[DirectRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = get_route_path(scope)  # as the app's routing sees it: behind a proxy's prefix, without it
            for candidate in self.routes:
                match = candidate.claims(path)
                if match is not None:
                    response = await self._answer(candidate, match, scope)
                    if response is not None:
                        scope["route"] = candidate.route  # what the metrics and the access log name it by
                        scope["endpoint"] = candidate.route.endpoint
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(candidate: DirectRoute, match: Match[str], scope: Scope) -> Response | None:
        convertors = candidate.route.param_convertors
        scope["path_params"] = {name: convertors[name].convert(value) for name, value in match.groupdict().items()}
        request = Request(scope)
        if scope["query_string"] and any(name not in candidate.allowed for name in request.query_params):
            return None
        try:
            response = await candidate.route.endpoint(request)
        except Exception:  # the app answers it, with its own error handlers
            return None
        return response if isinstance(response, Response) else None


def direct_lane(app: FastAPI, allowed: Callable[[APIRoute], frozenset[str]]) -> Middleware | None:
    """The lane for the app's `@direct` routes, to run innermost of its own middleware; None without any."""
    routes = direct_routes(app, allowed)
    return Middleware(DirectLane, routes=routes) if routes else None
