"""Path and query parameters an endpoint reads from the request itself, documented and validated as
FastAPI would have done for them.

FastAPI solves an operation's declared parameters on every request (`solve_dependencies`,
`request_params_to_args`): ~25 µs of CPU for an id and two optional query parameters, a tenth of
a GET by id. For the hottest reads the endpoint takes only the `Request` and reads its parameters
through a `RequestParams`, which is made from a function declaring them as the endpoint would have:

* `openapi()` is the operation's `parameters` as FastAPI documents that declaration (the route passes
  it as `openapi_extra`), and `PlatformRoute` counts those query parameters as declared;
* `parse(request)` validates them with FastAPI's own code, so values and errors (a 422
  `RequestValidationError` naming `path.id`, `query.as_of`, …) are the ones the declaration gives.

The endpoint may take a shortcut for a request whose values need no validation (a canonical UUID and
no query string, say), provided the shortcut gives the value `parse` would.

A declaration that is one query model (a list's filters) is parsed the short way too: the model
validates the query string's values itself, which FastAPI would hand it unchanged (scalar fields, each
named once); a request it refuses, or one naming a parameter twice, goes the long way, so its 422 is
FastAPI's own. Such a model's enums are documented as references to the service's component schemas,
which its response models define as well (`shared_schemas=True`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request


class RequestParams:
    def __init__(self, path: str, declared: Callable[..., Any], *, shared_schemas: bool = False) -> None:
        """`declared` takes the path and query parameters (only) as the endpoint would declare them.

        `shared_schemas`: the parameters may refer to component schemas (enums), which the service's
        own document must define too; otherwise every parameter's schema must be inline."""
        self.path = path
        self.declared = declared
        self.shared_schemas = shared_schemas
        self.dependant = get_dependant(path=path, call=declared)
        d = self.dependant
        if d.dependencies or d.header_params or d.cookie_params or d.body_params:
            raise TypeError("RequestParams reads path and query parameters only")
        self._model = _query_model(self.dependant)

    def openapi(self) -> list[dict[str, Any]]:
        """The parameters as FastAPI documents the declaration; for `openapi_extra={"parameters": …}`."""
        route = APIRoute(self.path, self.declared, methods=["GET"])
        doc = get_openapi(title="", version="", routes=[route])
        parameters: list[dict[str, Any]] = doc["paths"][self.path]["get"]["parameters"]
        if not self.shared_schemas and doc.get("components", {}).get("schemas", {}).keys() - {
            "HTTPValidationError",
            "ValidationError",
        }:
            # A parameter's schema referring to a component would dangle in the service's document.
            raise TypeError("RequestParams documents parameters with inline schemas only")
        return parameters

    def parse(self, request: Request) -> dict[str, Any]:
        """The parameters' values by name, or the `RequestValidationError` FastAPI would raise."""
        if self._model is not None:
            name, model = self._model
            query = request.query_params
            if len(query) == len(query.multi_items()):  # each parameter named once
                try:
                    return {name: model.model_validate(dict(query))}
                except ValidationError:
                    pass  # FastAPI's own way below, for its errors
        values, errors = request_params_to_args(self.dependant.path_params, request.path_params)
        query_values, query_errors = request_params_to_args(self.dependant.query_params, request.query_params)
        errors += query_errors
        if errors:
            raise RequestValidationError(errors)
        return values | query_values


def _query_model(dependant: Any) -> tuple[str, type[BaseModel]] | None:
    """The declaration's one query model with scalar fields only, by parameter name, if that is all it takes."""
    if dependant.path_params or len(dependant.query_params) != 1:
        return None
    field = dependant.query_params[0]
    model = field.field_info.annotation
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    if any(field_annotation_is_sequence(f.annotation) for f in model.model_fields.values()):
        return None
    return field.name, model
