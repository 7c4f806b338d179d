import collections
import datetime
import itertools
import json
import math
import textwrap


def _defaultdict_int():
    d = collections.defaultdict(int)
    for k in "mississippi":
        d[k] += 1
    return sorted(d.items())


CASES = {
    "int": lambda: int("42"),
    "int_base": lambda: int("ff", 16),
    "int_base_kw": lambda: int("ff", base=16),
    "int_zero": lambda: 0,
    "range": lambda: list(range(0, 5)),
    "range_step": lambda: list(range(0, 10, 3)),
    "range_stop": lambda: list(range(5)),
    "sorted": lambda: sorted([3, 1, 2], reverse=True),
    "round": lambda: round(2.675, 2),
    "max": lambda: max(3, 7, 5),
    "divmod": lambda: divmod(7, 2),
    "zip_longest": lambda: list(itertools.zip_longest("ABCD", "xy", fillvalue="-")),
    "islice": lambda: list(itertools.islice("ABCDEFG", 2, None)),
    "accumulate": lambda: list(itertools.accumulate([1, 2, 3, 4, 5])),
    "chain_splat": lambda: list(itertools.chain(*[[k, k * 10] for k in range(1, 13)])),
    "max_splat": lambda: max(3, *range(20)),
    "log_base": lambda: math.log(8, 2),
    "log": lambda: math.log(100),
    "isclose": lambda: math.isclose(1.0, 1.0 + 1e-10),
    "dumps": lambda: json.dumps({"b": 1, "a": 2}, sort_keys=True, indent=4),
    "loads": lambda: json.loads("[1, 2]"),
    "shorten": lambda: textwrap.shorten("Hello  world!", width=12),
    "wrap": lambda: textwrap.wrap("The quick brown fox", 10),
    "date_isoformat": lambda: datetime.date(2002, 12, 4).isoformat(),
    "date_fromisoformat": lambda: datetime.date.fromisoformat("2019-12-04").isoformat(),
    "counter": lambda: dict(collections.Counter("abracadabra")),
    "defaultdict_int": lambda: _defaultdict_int(),
    "isinstance": lambda: isinstance(1, int),
    "isinstance_tuple": lambda: isinstance("1", (int, float)),
    "deque_maxlen": lambda: list(collections.deque([1, 2, 3], maxlen=2)),
    "timedelta": lambda: datetime.timedelta(days=1).total_seconds(),
    "gcd": lambda: math.gcd(12, 18),
    "fsum": lambda: math.fsum([0.1] * 10),
    "dumps_sorted": lambda: json.dumps({"b": 1, "a": 2}, sort_keys=True),
    "permutations": lambda: list(itertools.permutations("abc", 2))[:2],
}
