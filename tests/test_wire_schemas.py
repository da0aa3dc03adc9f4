"""shared/ holds the registry's wire schemas and nothing more: exactly what its typed client exchanges."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from typing import Any

from pydantic import BaseModel

import shared.schemas.registry
from shared.clients.registry import RegistryClient

PACKAGE = shared.schemas.registry.__name__


def _models(annotation: Any, found: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """Every model an annotation names, with the models its fields and bases name in turn."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return found
        found.add(annotation)
        for base in annotation.__mro__[1:]:
            if issubclass(base, BaseModel) and base is not BaseModel:
                _models(base, found)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
    for arg in typing.get_args(annotation):
        _models(arg, found)
    return found


def _client_models() -> set[str]:
    found: set[type[BaseModel]] = set()
    for method in vars(RegistryClient).values():
        if inspect.isfunction(method):  # its calls, streamed ones (async generators) and their parsers
            for hint in typing.get_type_hints(method).values():
                _models(hint, found)
    return {f"{m.__module__}.{m.__qualname__}" for m in found if m.__module__.startswith(PACKAGE)}


def _defined_models() -> set[str]:
    names: set[str] = set()
    for info in pkgutil.walk_packages(shared.schemas.registry.__path__, prefix=f"{PACKAGE}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                names.add(f"{value.__module__}.{value.__qualname__}")
    return names


def test_shared_registry_schemas_are_exactly_those_its_client_sends_and_receives() -> None:
    client = _client_models()
    assert "shared.schemas.registry.responses.reference.PersonRead" in client  # reached through an entity read
    assert _defined_models() == client
