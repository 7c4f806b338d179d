"""Python objects for the protocol and value tests (declared as ``sbproto`` in their pools)."""

import collections


class Box:
    """A mapping that is not a dict: it always crosses as a ref."""

    def __init__(self, data=None):
        self.data = dict(data or {})

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def __delitem__(self, key):
        del self.data[key]

    def __len__(self):
        return len(self.data)

    def __contains__(self, key):
        return key in self.data

    def __iter__(self):
        return iter(self.data)


class Manager:
    """A context manager that records what ``__exit__`` saw, and may suppress it."""

    def __init__(self, suppress=False, fail_enter=False):
        self.suppress = suppress
        self.fail_enter = fail_enter
        self.events = []

    def __enter__(self):
        if self.fail_enter:
            raise RuntimeError("enter failed")
        self.events.append("enter")
        return "the value"

    def __exit__(self, exc_type, exc, tb):
        self.events.append(("exit", exc_type and exc_type.__name__, exc and str(exc)))
        return self.suppress


class Falsy:
    def __bool__(self):
        return False

    def __hash__(self):
        return 42

    def __str__(self):
        return "falsy!"


def box(data=None):
    return Box(data)


def counter(text):
    return collections.Counter(text)


def describe(value):
    """What Python received: its type and repr (isoformat for dates)."""
    iso = getattr(value, "isoformat", None)
    return [type(value).__qualname__, iso() if callable(iso) else repr(value)]


def echo(*args):
    return list(args)


def zone(name):
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def tz_of(value):
    return [type(value.tzinfo).__qualname__, repr(value.tzinfo)]



Point = collections.namedtuple("Point", "x y")


def point(x, y):
    return Point(x, y)


class LibError(ValueError):
    """A library's ValueError subclass that has a generated module (see exceptions_test)."""


class SubLibError(LibError):
    pass


class OtherError(ValueError):
    pass


def fail(name, message):
    raise globals()[name](message)


def takes_snakebridge(snakebridge=None, other=1):
    return [snakebridge, other]
