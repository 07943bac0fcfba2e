"""The model's fast builders (``built_candidate``, ``built_unit``, ``built_race``) build the very
objects the classes build: same class, same fields, equal, same hash and repr, still frozen."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from bot.core.model import (
    CallStatus,
    Candidate,
    Level,
    Race,
    ReportingUnit,
    built_candidate,
    built_race,
    built_unit,
)

AT = datetime(2026, 11, 4, 2, 30, tzinfo=UTC)


def _every_field(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _assert_same(built: Any, made: Any) -> None:
    assert type(built) is type(made)
    assert _every_field(built) == _every_field(made)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    name = fields(made)[0].name
    with pytest.raises(FrozenInstanceError):
        setattr(built, name, "changed")


def test_a_built_candidate_is_the_candidate_the_class_builds() -> None:
    args = ("c1", "Write-ins", "Dem", True, True)
    _assert_same(built_candidate(*args), Candidate(*args))


def test_a_built_unit_is_the_unit_the_class_builds_with_every_field_set() -> None:
    args = ("01001", Level.COUNTY, "Autauga", {"a": 3, "b": 0}, "01001", 2, 9, 41.5, AT, 12000)
    built = built_unit(args[0], args[1], args[2], dict(args[3]), *args[4:])
    _assert_same(built, ReportingUnit(*args))
    assert isinstance(built.votes, MappingProxyType) and dict(built.votes) == {"a": 3, "b": 0}
    # and with the defaults the class gives
    _assert_same(built_unit("AL", Level.STATE, "Alabama", {}), ReportingUnit("AL", Level.STATE, "Alabama", {}))


def test_a_built_race_is_the_race_the_class_builds_with_every_field_set() -> None:
    unit = built_unit("AL", Level.STATE, "Alabama", {"a": 1})
    values: dict[str, Any] = {
        "state": "AL",
        "race_id": "1000",
        "office": "U.S. Senate",
        "candidates": (Candidate("a", "Doug Jones"),),
        "units": (unit,),
        "office_id": "S",
        "seat": "Class II",
        "race_type": "Special General",
        "general": False,
        "test": True,
        "call_status": CallStatus.CALLED,
        "winners": ("a",),
        "runoff": ("b",),
        "race_call_status": "Called",
        "tabulation_status": "Active Tabulation",
        "expected_vote_pct": 98.0,
        "seats": 2,
        "national": True,
        "last_updated": AT,
        "flipped_seat": True,
        "party": "Dem",
        "county": "Jefferson",
    }
    assert list(values) == [f.name for f in fields(Race)]  # a field added to Race must be added here and to built_race
    _assert_same(built_race(*values.values()), Race(**values))
