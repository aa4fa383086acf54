"""No ORM row leaves a service: every public method of every domain service returns schemas (or
plain values), never a model of ``enclave.db.models``. ``make check`` runs this.

Read from the type hints of the real classes, so a method added later is checked too; a method
without a return annotation fails, since nobody could tell what it hands out.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import typing
from collections.abc import Iterator

import pytest

import enclave
from enclave.db.models.base import Base

#: The domain packages whose ``service`` module holds their service.
DOMAINS = sorted(
    name
    for _, name, is_package in pkgutil.iter_modules(enclave.__path__)
    if is_package and importlib.util.find_spec(f"enclave.{name}.service") is not None
)


def services() -> Iterator[type]:
    for domain in DOMAINS:
        module = importlib.import_module(f"enclave.{domain}.service")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and cls.__name__.endswith("Service"):
                yield cls


def models_in(hint: object) -> Iterator[type]:
    """Every ORM model a type hint names, however deeply (``list[Task] | None`` names ``Task``)."""
    if inspect.isclass(hint) and issubclass(hint, Base):
        yield hint
    for argument in typing.get_args(hint):
        yield from models_in(argument)


def public_methods(cls: type) -> Iterator[tuple[str, typing.Any]]:
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if not name.startswith("_"):
            yield name, member


@pytest.mark.parametrize("service", list(services()), ids=lambda cls: cls.__name__)
def test_no_public_method_returns_an_orm_row(service: type) -> None:
    leaking = []
    for name, method in public_methods(service):
        hints = typing.get_type_hints(method)
        if "return" not in hints:
            leaking.append(f"{name}: no return annotation")
        leaking += [f"{name}: returns {model.__name__}" for model in models_in(hints.get("return"))]
    assert leaking == []


def test_the_walk_finds_the_domains_services() -> None:
    names = {cls.__name__ for cls in services()}
    assert {"TaskService", "ProjectService", "DatasetService", "MemberService", "ApiKeyService"} <= names


def test_the_check_sees_a_row_in_a_container() -> None:
    from enclave.db.models import Task

    assert list(models_in(list[Task] | None)) == [Task]
    assert list(models_in(tuple[int, dict[str, Task]])) == [Task]
    assert list(models_in(list[int])) == []
