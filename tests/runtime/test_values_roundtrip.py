"""Every value mapping of runtime.conversions round-trips: a Python value encoded for
Elixir and decoded back is the same value (hypothesis), and the Elixir terms have the
exact layout of Elixir's structs (checked against a real BEAM in elixir/test/protocols)."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import math
import zoneinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge.etf import Atom
from snakebridge.runtime.allowlist import Allowlist
from snakebridge.runtime.store import RefStore
from snakebridge.runtime.values import Codec, Malformed

STRUCT = Atom("__struct__")


def codec() -> Codec:
    return Codec(RefStore(), Allowlist({"collections": "collections"}), "w1", "default")


def roundtrip(value: Any) -> Any:
    c = codec()
    data = b"".join(bytes(p) for p in c.encode(value))
    return c.decode(data)


def term(value: Any) -> Any:
    """The Elixir term a value becomes, decoded without any struct hook."""
    from snakebridge import etf

    c = codec()
    return etf.decode(b"".join(bytes(p) for p in c.encode(value)))


ZONES = ["Europe/Oslo", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
aware = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.sampled_from([zoneinfo.ZoneInfo(z) for z in ZONES] + [dt.UTC]),
)
fixed = st.builds(
    lambda d, minutes: d.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes))),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.integers(-23 * 60, 23 * 60),
)


@settings(max_examples=200, deadline=None)
@given(
    st.frozensets(st.frozensets(st.integers(), max_size=4), max_size=4),
    st.dictionaries(st.frozensets(st.integers(), max_size=4), st.integers(), max_size=4),
)
def test_sets_inside_sets_and_as_keys_round_trip(
    nested: frozenset[frozenset[int]], keyed: dict[frozenset[int], int]
) -> None:
    """A MapSet is a set, except where Python needs a hashable value (a member of a set,
    a map key): there it is a frozenset, so a frozenset of frozensets comes back."""
    back = roundtrip(nested)
    assert back == nested and all(type(member) is frozenset for member in back)
    assert roundtrip(keyed) == keyed


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dates(),
        st.times(),
        st.datetimes(),
        st.timedeltas(),
        st.sets(st.integers() | st.text(max_size=5), max_size=8),
        st.frozensets(st.integers(), max_size=8),
        st.decimals(allow_nan=False),
        st.complex_numbers(allow_nan=False, allow_infinity=True),
        st.builds(
            slice, st.none() | st.integers(), st.none() | st.integers(), st.none() | st.integers()
        ),
        st.just(...),
    )
)
def test_values_round_trip(value: Any) -> None:
    back = roundtrip(value)
    assert type(back) is (set if isinstance(value, frozenset) else type(value))
    assert back == value
    if isinstance(value, decimal.Decimal):
        assert back.as_tuple() == value.as_tuple()  # same digits and exponent: 1.0 != 1.00


@settings(max_examples=300, deadline=None)
@given(aware | fixed)
def test_aware_datetimes_keep_instant_wall_time_and_offset(value: dt.datetime) -> None:
    back = roundtrip(value)
    assert back == value
    assert back.replace(tzinfo=None) == value.replace(tzinfo=None)
    assert back.utcoffset() == value.utcoffset()


def test_zone_names_and_special_decimals() -> None:
    oslo = dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo"))
    t = term(oslo)
    assert t[STRUCT] == "Elixir.DateTime"
    assert (t["time_zone"], t["zone_abbr"], t["utc_offset"], t["std_offset"]) == (
        "Europe/Oslo",
        "CET",
        3600,
        0,
    )
    back = roundtrip(oslo)
    assert back.fold == 1 and back.tzinfo == zoneinfo.ZoneInfo("Europe/Oslo")
    assert term(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))["time_zone"] == "Etc/UTC"
    assert roundtrip(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).tzinfo is dt.UTC
    for special in ("NaN", "-Infinity", "Infinity"):
        assert str(roundtrip(decimal.Decimal(special))) == special
    assert term(decimal.Decimal("-1.50")) == {
        STRUCT: "Elixir.Decimal",
        "sign": -1,
        "coef": 150,
        "exp": -2,
    }
    big = decimal.Decimal((0, (1,) * 5000, -3))
    assert roundtrip(big) == big
    assert term(complex(math.inf, -0.5)) == {STRUCT: "Elixir.Complex", "re": "infinity", "im": -0.5}
    # No Elixir value: a signalling NaN, an aware time, a sub-second offset stay refs.
    for value in (
        decimal.Decimal("sNaN"),
        dt.time(1, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(microseconds=1))),
    ):
        assert term(value)[STRUCT] == "Elixir.SnakeBridge.Ref"


def test_exact_containers_by_value_subclasses_as_refs() -> None:
    assert term({"a": (1, 2)}) == {"a": (1, 2)}
    point = collections.namedtuple("Point", "x y")(1, 2)
    for value in (collections.Counter("aab"), collections.OrderedDict(a=1), point):
        t = term(value)
        assert t[STRUCT] == "Elixir.SnakeBridge.Ref", value
    assert term([point])[0]["type"].endswith(".Point")
    # Named fields are what a tuple subclass keeps a ref for: struct sequences have them,
    # a tuple subclass without names crosses as a tuple.
    import time

    assert term(time.localtime())[STRUCT] == "Elixir.SnakeBridge.Ref"

    class Size(tuple[int, ...]):
        pass

    assert term(Size((2, 3))) == (2, 3)


@pytest.mark.parametrize(
    ("struct", "fields", "problem"),
    [
        (
            "Elixir.Date",
            {"calendar": Atom("Elixir.Calendar.ISO"), "year": 0, "month": 1, "day": 1},
            "year 0",
        ),
        (
            "Elixir.Date",
            {"calendar": Atom("Elixir.Calendar.Julian"), "year": 1, "month": 1, "day": 1},
            "Calendar.ISO",
        ),
        (
            "Elixir.Date",
            {"calendar": Atom("Elixir.Calendar.ISO"), "year": "1", "month": 1, "day": 1},
            "year must be an integer",
        ),
        ("Elixir.SnakeBridge.Duration", {"microseconds": 10**30}, "cannot become a Python value"),
        ("Elixir.Decimal", {"sign": 1, "coef": -5, "exp": 0}, "coef"),
        ("Elixir.Complex", {"re": "x", "im": 0}, "re and im"),
        ("Elixir.MapSet", {"map": [1]}, "map must be a map"),
    ],
)
def test_out_of_range_structs_are_malformed(
    struct: str, fields: dict[str, Any], problem: str
) -> None:
    from snakebridge import etf

    c = codec()
    value: dict[Any, Any] = {STRUCT: Atom(struct)}
    value.update({Atom(k): v for k, v in fields.items()})
    decoded = c.decode(etf.encode(value))
    assert isinstance(decoded, Malformed)
    assert problem in decoded.message
    assert decoded.message.startswith("%" + struct.removeprefix("Elixir."))


def test_hostile_zone_names_become_fixed_offsets() -> None:
    from snakebridge import etf

    c = codec()
    fields = {
        "calendar": Atom("Elixir.Calendar.ISO"),
        "year": 2024,
        "month": 1,
        "day": 1,
        "hour": 0,
        "minute": 0,
        "second": 0,
        "microsecond": (0, 0),
        "utc_offset": 3600,
        "std_offset": 0,
        "zone_abbr": "X",
    }
    for name in ("../../../../etc/passwd", "/etc/passwd", "", "Nowhere/Land"):
        value: dict[Any, Any] = {STRUCT: Atom("Elixir.DateTime"), Atom("time_zone"): name}
        value.update({Atom(k): v for k, v in fields.items()})
        decoded = c.decode(etf.encode(value))
        assert decoded.utcoffset() == dt.timedelta(hours=1)
        assert decoded.tzname() == "X"
