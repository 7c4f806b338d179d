"""Python values that have an Elixir term of the same meaning, both ways.

``OUT`` maps an exact Python type to the function that builds its Elixir term (a
struct is a dict with atom keys) or returns ``KEEP`` when this value has none (an
aware ``time``): it then crosses as a ref. ``IN`` maps a struct module to the
function that builds the Python value from the decoded struct; a field Python
refuses raises, and the codec turns that into a bad argument. One table each way,
so the rule for a type lives in one place; the README's "Values" section and
``SnakeBridge.Values`` document them. Exact types only: a subclass (a pandas
``Timestamp``, a ``Counter``) keeps its identity as a ref.

| Python | Elixir |
| --- | --- |
| ``slice`` | ``%SnakeBridge.Slice{}`` |
| ``Ellipsis`` | ``:...`` |
| ``datetime`` (naive) / aware | ``NaiveDateTime`` / ``DateTime`` |
| ``date``, ``time`` (naive) | ``Date``, ``Time`` |
| ``timedelta`` | ``%SnakeBridge.Duration{microseconds: n}`` |
| ``set``, ``frozenset`` | ``MapSet`` (arrives as a ``set``; a set member or key: ``frozenset``) |
| ``decimal.Decimal`` | ``%Decimal{sign, coef, exp}`` (the decimal package's layout) |
| ``complex`` | ``%Complex{re, im}`` (the complex package's layout, Nx's) |
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from snakebridge.etf import Atom

KEEP: Any = object()

STRUCT = Atom("__struct__")
SLICE = Atom("Elixir.SnakeBridge.Slice")
DURATION = Atom("Elixir.SnakeBridge.Duration")
DATE, TIME = Atom("Elixir.Date"), Atom("Elixir.Time")
NAIVE, DATETIME = Atom("Elixir.NaiveDateTime"), Atom("Elixir.DateTime")
ISO = Atom("Elixir.Calendar.ISO")
MAPSET, DECIMAL, COMPLEX = Atom("Elixir.MapSet"), Atom("Elixir.Decimal"), Atom("Elixir.Complex")
K_START, K_STOP, K_STEP = Atom("start"), Atom("stop"), Atom("step")
K_US = Atom("microseconds")
K_CAL, K_YEAR, K_MONTH, K_DAY = Atom("calendar"), Atom("year"), Atom("month"), Atom("day")
K_HOUR, K_MIN, K_SEC, K_MICRO = Atom("hour"), Atom("minute"), Atom("second"), Atom("microsecond")
K_TZ, K_ABBR, K_UTC_OFF, K_STD_OFF = (
    Atom("time_zone"),
    Atom("zone_abbr"),
    Atom("utc_offset"),
    Atom("std_offset"),
)
K_MAP, K_VERSION = Atom("map"), Atom("version")
K_SIGN, K_COEF, K_EXP = Atom("sign"), Atom("coef"), Atom("exp")
K_RE, K_IM = Atom("re"), Atom("im")
ELLIPSIS = Atom("...")
UTC = "Etc/UTC"
_EMPTY: list[Any] = []
_SECOND = dt.timedelta(seconds=1)


# ---------------------------------------------------------------- outbound


def _slice_out(value: slice) -> dict[Any, Any]:
    return {STRUCT: SLICE, K_START: value.start, K_STOP: value.stop, K_STEP: value.step}


def _micro(us: int) -> tuple[int, int]:
    # Elixir keeps a precision beside the microseconds; 6 (what Python has) unless there
    # are none, so that whole seconds compare equal to Elixir literals like ~T[10:00:00].
    return (us, 6 if us else 0)


def _date_fields(value: dt.date) -> dict[Any, Any]:
    return {K_CAL: ISO, K_YEAR: value.year, K_MONTH: value.month, K_DAY: value.day}


def _time_fields(value: dt.time | dt.datetime) -> dict[Any, Any]:
    return {
        K_HOUR: value.hour,
        K_MIN: value.minute,
        K_SEC: value.second,
        K_MICRO: _micro(value.microsecond),
    }


def _date_out(value: dt.date) -> dict[Any, Any]:
    return {STRUCT: DATE, **_date_fields(value)}


def _time_out(value: dt.time) -> Any:
    if value.tzinfo is not None:
        return KEEP  # Elixir's Time has no zone
    return {STRUCT: TIME, K_CAL: ISO, **_time_fields(value)}


def _zone_name(value: dt.datetime) -> str:
    tz = value.tzinfo
    if tz is dt.UTC:
        return UTC
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)  # zoneinfo, pytz
    if isinstance(key, str) and key:
        return UTC if key == "UTC" else key
    return value.tzname() or UTC


def _datetime_out(value: dt.datetime) -> Any:
    offset = value.utcoffset()
    if offset is None:
        return {STRUCT: NAIVE, **_date_fields(value), **_time_fields(value)}
    dst = value.dst() or dt.timedelta(0)
    if offset % _SECOND or dst % _SECOND:
        return KEEP  # Elixir offsets are whole seconds
    zone = _zone_name(value)
    return {
        STRUCT: DATETIME,
        **_date_fields(value),
        **_time_fields(value),
        K_TZ: zone,
        K_ABBR: "UTC" if zone == UTC else (value.tzname() or zone),
        K_UTC_OFF: (offset - dst) // _SECOND,
        K_STD_OFF: dst // _SECOND,
    }


def _duration_out(value: dt.timedelta) -> dict[Any, Any]:
    return {STRUCT: DURATION, K_US: value // dt.timedelta(microseconds=1)}


def _set_out(value: set[Any] | frozenset[Any]) -> dict[Any, Any]:
    # Elixir 1.14's MapSet layout (elixir/test/protocols checks it against MapSet.new/1).
    return {STRUCT: MAPSET, K_MAP: dict.fromkeys(value, _EMPTY), K_VERSION: 2}


def _decimal_out(value: decimal.Decimal) -> Any:
    sign, digits, exponent = value.as_tuple()
    if exponent == "N":
        return KEEP  # a signalling NaN has no Decimal-package form
    coef: Any
    if exponent == "n":
        coef, exponent = Atom("NaN"), 0
    elif exponent == "F":
        coef, exponent = Atom("inf"), 0
    else:
        # Through Decimal, not str: int(str) refuses more than 4300 digits.
        coef = int(decimal.Decimal((0, digits, 0)))
    return {STRUCT: DECIMAL, K_SIGN: -1 if sign else 1, K_COEF: coef, K_EXP: exponent}


def _complex_out(value: complex) -> dict[Any, Any]:
    return {STRUCT: COMPLEX, K_RE: value.real, K_IM: value.imag}


OUT: dict[type, Callable[[Any], Any]] = {
    slice: _slice_out,
    type(...): lambda _value: ELLIPSIS,
    dt.datetime: _datetime_out,
    dt.date: _date_out,
    dt.time: _time_out,
    dt.timedelta: _duration_out,
    set: _set_out,
    frozenset: _set_out,
    decimal.Decimal: _decimal_out,
    complex: _complex_out,
}


# ---------------------------------------------------------------- inbound


def _int(term: dict[Any, Any], key: Atom) -> int:
    value = term.get(key)
    if type(value) is not int:
        raise ValueError(f"{key} must be an integer, got {type(value).__name__}")
    return value


def _iso(term: dict[Any, Any]) -> None:
    calendar = term.get(K_CAL)
    if calendar != ISO:
        raise ValueError(f"only Calendar.ISO dates and times cross, got calendar {calendar!s:.60}")


def _us(term: dict[Any, Any]) -> int:
    micro = term.get(K_MICRO)
    if not (isinstance(micro, tuple) and len(micro) == 2 and type(micro[0]) is int):
        raise ValueError("microsecond must be {microseconds, precision}")
    return micro[0]


def _date_in(term: dict[Any, Any]) -> dt.date:
    _iso(term)
    return dt.date(_int(term, K_YEAR), _int(term, K_MONTH), _int(term, K_DAY))


def _time_in(term: dict[Any, Any]) -> dt.time:
    _iso(term)
    return dt.time(_int(term, K_HOUR), _int(term, K_MIN), _int(term, K_SEC), _us(term))


def _naive_in(term: dict[Any, Any]) -> dt.datetime:
    _iso(term)
    return dt.datetime(
        _int(term, K_YEAR),
        _int(term, K_MONTH),
        _int(term, K_DAY),
        _int(term, K_HOUR),
        _int(term, K_MIN),
        _int(term, K_SEC),
        _us(term),
    )


def _zone(name: str, abbr: Any, offset: dt.timedelta, naive: dt.datetime) -> dt.datetime:
    """``naive`` in zone ``name`` at ``offset``: the IANA zone when Python knows it and it
    gives this offset at this wall time (``fold`` picks the right one of an ambiguous
    hour), else a fixed offset named after the abbreviation."""
    if name == UTC and not offset:
        return naive.replace(tzinfo=dt.UTC)
    try:
        import zoneinfo

        zone = zoneinfo.ZoneInfo(name)
    except (KeyError, ValueError, OSError, ImportError):  # not an IANA key, a hostile path
        zone = None
    if zone is not None:
        for fold in (0, 1):
            candidate = naive.replace(tzinfo=zone, fold=fold)
            if candidate.utcoffset() == offset:
                return candidate
    fixed = dt.timezone(offset, abbr) if isinstance(abbr, str) and abbr else dt.timezone(offset)
    return naive.replace(tzinfo=fixed)


def _datetime_in(term: dict[Any, Any]) -> dt.datetime:
    naive = _naive_in(term)
    name = term.get(K_TZ)
    if not isinstance(name, str):
        raise ValueError("time_zone must be a string")
    offset = dt.timedelta(seconds=_int(term, K_UTC_OFF) + _int(term, K_STD_OFF))
    return _zone(name, term.get(K_ABBR), offset, naive)


def _duration_in(term: dict[Any, Any]) -> dt.timedelta:
    return dt.timedelta(microseconds=_int(term, K_US))


def _set_in(term: dict[Any, Any]) -> set[Any]:
    members = term.get(K_MAP)
    if not isinstance(members, dict):
        raise ValueError("map must be a map")
    return set(members)


def _decimal_in(term: dict[Any, Any]) -> decimal.Decimal:
    sign = -1 if term.get(K_SIGN) == -1 else 1
    coef = term.get(K_COEF)
    text = "-" if sign < 0 else ""
    if coef == "NaN":
        return decimal.Decimal(text + "NaN")
    if coef == "inf":
        return decimal.Decimal(text + "Infinity")
    if type(coef) is not int or coef < 0:
        raise ValueError("coef must be a non-negative integer, :NaN or :inf")
    digits = decimal.Decimal(coef).as_tuple().digits
    return decimal.Decimal((1 if sign < 0 else 0, digits, _int(term, K_EXP)))


def _complex_in(term: dict[Any, Any]) -> complex:
    re, im = term.get(K_RE), term.get(K_IM)
    if not (isinstance(re, (int, float)) and isinstance(im, (int, float))):
        raise ValueError("re and im must be numbers")
    return complex(float(re), float(im))


IN: dict[str, Callable[[dict[Any, Any]], Any]] = {
    SLICE: lambda t: slice(t.get(K_START), t.get(K_STOP), t.get(K_STEP)),
    DATE: _date_in,
    TIME: _time_in,
    NAIVE: _naive_in,
    DATETIME: _datetime_in,
    DURATION: _duration_in,
    MAPSET: _set_in,
    DECIMAL: _decimal_in,
    COMPLEX: _complex_in,
}
