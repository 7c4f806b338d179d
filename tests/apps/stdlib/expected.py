import base64
import bisect
import calendar
import collections
import datetime
import decimal
import difflib
import fnmatch
import fractions
import functools
import hashlib
import heapq
import ipaddress
import itertools
import json
import math
import operator
import pathlib
import random
import re
import shlex
import statistics
import string
import textwrap
import urllib.parse
import uuid
import zlib


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
    "date_by_keyword": lambda: datetime.date(year=2024, month=1, day=2).isoformat(),
    "date_some_by_keyword": lambda: datetime.date(2024, month=1, day=2).isoformat(),
    "shorten_by_keyword": lambda: textwrap.shorten(text="Hello  world!", width=12),
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
    "mean": lambda: statistics.mean([1, 2, 3, 4, 4]),
    "median": lambda: statistics.median([1, 3, 5]),
    "mode": lambda: statistics.mode(["red", "blue", "blue", "red", "green", "red", "red"]),
    "stdev": lambda: statistics.stdev([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]),
    "quantiles": lambda: statistics.quantiles([105, 129, 87, 86, 111, 111, 89, 81, 108, 92], n=4),
    "fmean_weights": lambda: statistics.fmean([85, 92, 83, 91], weights=[0.20, 0.20, 0.30, 0.30]),
    "geometric_mean": lambda: statistics.geometric_mean([54, 24, 36]),
    "correlation": lambda: statistics.correlation(
        [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 1, 2, 3, 1, 2, 3]
    ),
    "normaldist": lambda: statistics.NormalDist(100, 15).cdf(130),
    "nlargest": lambda: heapq.nlargest(3, [1, 8, 2, 23, 7, -4, 18, 23, 42, 37, 2]),
    "nsmallest_key": lambda: heapq.nsmallest(2, ["bb", "a", "ccc"], key=len),
    "merge": lambda: list(heapq.merge([1, 3, 5], [2, 4, 6])),
    "bisect_left": lambda: bisect.bisect_left([1, 2, 4, 4, 8], 4),
    "bisect": lambda: bisect.bisect([60, 70, 80, 90], 75),
    "ratio": lambda: difflib.SequenceMatcher(None, "abcd", "bcde").ratio(),
    "close_matches": lambda: difflib.get_close_matches("appel", ["ape", "apple", "peach", "puppy"]),
    "unified_diff": lambda: list(
        difflib.unified_diff(["a\n", "b\n"], ["a\n", "c\n"], fromfile="x", tofile="y")
    ),
    "reduce_capture": lambda: functools.reduce(operator.add, [1, 2, 3, 4, 5]),
    "reduce_fn": lambda: functools.reduce(lambda a, b: a * b, [1, 2, 3, 4, 5], 10),
    "itemgetter": lambda: operator.itemgetter(1)("ABCDEFG"),
    "re_sub_flags": lambda: re.sub(r"\bAND\b", "&", "Baked Beans And Spam", flags=re.IGNORECASE),
    "findall": lambda: re.findall(r"\bf[a-z]*", "which foot or hand fell fastest"),
    "re_split": lambda: re.split(r"\W+", "Words, words, words."),
    "re_split_max": lambda: re.split(r"\W+", "Words, words, words.", 1),  # noqa: B034 (positional, as in the Elixir call)
    "match_group": lambda: re.match(r"(\w+) (\w+)", "Isaac Newton, physicist").group(0),
    "fullmatch_none": lambda: re.fullmatch(r"p.*n", "python3"),
    "compile_search": lambda: re.compile("d").search("dog").span(),
    "fraction": lambda: str(fractions.Fraction(16, -10)),
    "fraction_by_keyword": lambda: str(fractions.Fraction(numerator=1, denominator=3)),
    "fraction_str": lambda: str(fractions.Fraction("3.1415926535897932").limit_denominator(1000)),
    "template": lambda: string.Template("$who likes $what").substitute(who="tim", what="kung pao"),
    "random_seeded": lambda: random.Random(42).random(),
    "sha256": lambda: hashlib.sha256(b"Nobody inspects the spammish repetition").hexdigest(),
    "b64encode": lambda: base64.b64encode(b"data to be encoded"),
    "b64decode": lambda: base64.b64decode("ZGF0YSB0byBiZSBlbmNvZGVk"),
    "urlparse_netloc": lambda: (
        urllib.parse.urlparse(
            "http://docs.python.org:80/3/library/urllib.parse.html?highlight=params#url-parsing"
        ).netloc
    ),
    "urlencode": lambda: urllib.parse.urlencode([("spam", 1), ("eggs", 2)]),
    "quote": lambda: urllib.parse.quote("/El Niño/"),
    "shlex_split": lambda: shlex.split('ls -l "my file"'),
    "shlex_quote": lambda: shlex.quote("somefile; rm -rf ~"),
    "fnmatch": lambda: fnmatch.fnmatch("foo.txt", "*.txt"),
    "fnmatch_filter": lambda: fnmatch.filter(["a.py", "b.txt"], "*.py"),
    "isleap": lambda: calendar.isleap(2024),
    "monthrange": lambda: calendar.monthrange(2024, 2),
    "uuid_hex": lambda: uuid.UUID("{12345678-1234-5678-1234-567812345678}").hex,
    "uuid5": lambda: str(uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")),
    "crc32": lambda: zlib.crc32(b"hello world"),
    "comb": lambda: math.comb(5, 2),
    "prod": lambda: math.prod([1, 2, 3, 4]),
    "dist": lambda: math.dist([1, 2], [4, 6]),
    "pi": lambda: math.pi,
    "factorial_big": lambda: math.factorial(30),
    "sqrt_neg": lambda: math.sqrt(-1),
    "groupby": lambda: len(list(itertools.groupby("AAAABBBCCDAABBB"))),
    "product_repeat": lambda: list(itertools.product("AB", repeat=2)),
    "combinations": lambda: list(itertools.combinations("ABCD", 2)),
    "count_islice": lambda: list(itertools.islice(itertools.count(10), 3)),
    "strftime": lambda: datetime.datetime(2024, 1, 2, 3, 4, 5).strftime("%Y-%m-%d %H:%M"),
    "fromisoformat": lambda: datetime.datetime.fromisoformat("2011-11-04T00:05:23").isoformat(),
    "purepath": lambda: pathlib.PurePosixPath("/etc/passwd").name,
    "purepath_parts": lambda: pathlib.PurePosixPath("/usr/bin/python3").parts,
    "purepath_joinpath": lambda: str(pathlib.PurePosixPath("/etc").joinpath("init.d", "apache2")),
    "sum_start": lambda: sum([1, 2, 3], start=10),
    "enumerate": lambda: list(enumerate("abc", start=1)),
    "zip": lambda: list(zip([1, 2], [3, 4], strict=False)),
    "map_capture": lambda: list(map(str.upper, ["a", "b"])),
    "filter_none": lambda: list(filter(None, [0, 1, 2, None, 3])),
    "sorted_key": lambda: sorted(["ccc", "a", "bb"], key=len),
    "pow_mod": lambda: pow(3, 4, 5),
    "format": lambda: format(3.14159, ".2f"),
    "str_split": lambda: "a,b,,c".split(","),  # noqa: SIM905 (the call under test)
    "str_join": lambda: ",".join(["a", "b"]),
    "upper_unicode": lambda: "straße".upper(),
    "len_unicode": lambda: len("日本語"),
    "fromhex": lambda: bytes.fromhex("2Ef0 F1f2  "),
    "from_bytes": lambda: int.from_bytes(b"\x00\x10", byteorder="big"),
    "int_bad": lambda: int("abc"),
    "chr_ord": lambda: (chr(97), ord("a")),
    "hex_bin": lambda: (hex(255), bin(10)),
    "ip_address": lambda: str(ipaddress.ip_address("192.168.0.1")),
    "ip_network_size": lambda: ipaddress.ip_network("192.168.0.0/28").num_addresses,
    "ip_hosts": lambda: [str(h) for h in ipaddress.ip_network("192.0.2.0/29").hosts()],
    "ip_exploded": lambda: ipaddress.ip_address("2001:db8::").exploded,
    "ip_interface_network": lambda: str(ipaddress.ip_interface("192.0.2.5/24").network),
    "ip_from_int": lambda: str(ipaddress.IPv4Address(3232235521)),
    "ip_bad": lambda: ipaddress.ip_address("300.1.1.1"),
    "decimal_prec": lambda: decimal.getcontext().prec,
    "dedent": lambda: textwrap.dedent("    hello\n      world\n"),
    "indent": lambda: textwrap.indent("hello\n\nworld\n", "+ "),
    "indent_predicate": lambda: textwrap.indent("hello\n\nworld\n", "+ ", lambda line: True),
    "fill": lambda: textwrap.fill("The quick brown fox jumps", width=10),
    "textwrapper": lambda: textwrap.TextWrapper(width=10).wrap("The quick brown fox jumps"),
    "capwords": lambda: string.capwords("hello world"),
    "harmonic_mean": lambda: statistics.harmonic_mean([40, 60]),
    "inv_cdf": lambda: statistics.NormalDist().inv_cdf(0.975),
    "from_samples": lambda: statistics.NormalDist.from_samples([2.5, 3.1, 2.1, 2.4, 2.7, 3.5]).mean,
    "partial": lambda: functools.partial(int, base=2)("10010"),
    "cmp_to_key": lambda: sorted([3, 1, 2], key=functools.cmp_to_key(lambda a, b: b - a)),
    "pairwise": lambda: list(itertools.pairwise("ABCDEFG")),
    "starmap": lambda: list(itertools.starmap(pow, [(2, 5), (3, 2), (10, 3)])),
    "takewhile": lambda: list(itertools.takewhile(lambda x: x < 5, [1, 4, 6, 3, 8])),
    "compress": lambda: list(itertools.compress("ABCDEF", [1, 0, 1, 0, 1, 1])),
    "cycle": lambda: list(itertools.islice(itertools.cycle("ABCD"), 6)),
    "chain_from_iterable": lambda: list(itertools.chain.from_iterable(["ABC", "DEF"])),
    "islice_step": lambda: list(itertools.islice("ABCDEFG", 0, None, 2)),
    "most_common": lambda: collections.Counter("abracadabra").most_common(3),
    "counter_total": lambda: collections.Counter(cats=4, dogs=8).total(),
    "chainmap": lambda: collections.ChainMap({"a": 1}, {"a": 2, "b": 3})["a"],
    "popitem_first": lambda: collections.OrderedDict([("b", 1), ("a", 2)]).popitem(last=False),
    "namedtuple_kw": lambda: collections.namedtuple("Point", ["x", "y"])(11, y=22).y,
}
