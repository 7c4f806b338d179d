defmodule StdlibApp do
  @moduledoc "Calls as the Python standard library's documentation writes them (docs.python.org/3)."

  def cases do
    [
      # int("42"); int("ff", 16); int("ff", base=16); int()
      {"int", fn -> Builtins.int!("42") end},
      {"int_base", fn -> Builtins.int!("ff", 16) end},
      {"int_base_kw", fn -> Builtins.int!("ff", base: 16) end},
      {"int_zero", fn -> Builtins.int!() end},
      # list(range(0, 5)); list(range(0, 10, 3)); list(range(5))
      {"range", fn -> Builtins.list!(Builtins.range!(0, 5)) end},
      {"range_step", fn -> Builtins.list!(Builtins.range!(0, 10, 3)) end},
      {"range_stop", fn -> Builtins.list!(Builtins.range!(5)) end},
      # sorted([3, 1, 2], reverse=True); round(2.675, 2); max(3, 7, 5); divmod(7, 2)
      {"sorted", fn -> Builtins.sorted!([3, 1, 2], reverse: true) end},
      {"round", fn -> Builtins.round!(2.675, 2) end},
      {"max", fn -> Builtins.max!(3, 7, 5) end},
      {"divmod", fn -> Builtins.divmod!(7, 2) end},
      # list(itertools.zip_longest('ABCD', 'xy', fillvalue='-'))
      {"zip_longest",
       fn -> Builtins.list!(Itertools.zip_longest!("ABCD", "xy", fillvalue: "-")) end},
      # list(itertools.islice('ABCDEFG', 2, None)); list(itertools.accumulate([1, 2, 3, 4, 5]))
      {"islice", fn -> Builtins.list!(Itertools.islice!("ABCDEFG", 2, nil)) end},
      {"accumulate", fn -> Builtins.list!(Itertools.accumulate!([1, 2, 3, 4, 5])) end},
      # list(itertools.chain(*lists)) over twelve lists; max(*range(20), key=...)
      {"chain_splat",
       fn ->
         lists = for k <- 1..12, do: [k, k * 10]
         Builtins.list!(Itertools.chain!(SnakeBridge.splat(lists)))
       end},
      {"max_splat", fn -> Builtins.max!(3, SnakeBridge.splat(Enum.to_list(0..19))) end},
      # math.log(8, 2); math.log(100); math.isclose(1.0, 1.0 + 1e-10)
      {"log_base", fn -> Math.log!(8, 2) end},
      {"log", fn -> Math.log!(100) end},
      {"isclose", fn -> Math.isclose!(1.0, 1.0 + 1.0e-10) end},
      # json.dumps({"b": 1, "a": 2}, sort_keys=True, indent=4); json.loads('[1, 2]')
      {"dumps", fn -> Json.dumps!(%{"b" => 1, "a" => 2}, sort_keys: true, indent: 4) end},
      {"loads", fn -> Json.loads!("[1, 2]") end},
      # textwrap.shorten("Hello  world!", width=12); textwrap.wrap("The quick brown fox", 10)
      {"shorten", fn -> Textwrap.shorten!("Hello  world!", width: 12) end},
      {"wrap", fn -> Textwrap.wrap!("The quick brown fox", 10) end},
      # datetime.date(2002, 12, 4).isoformat(); date.fromisoformat('2019-12-04')
      {"date_isoformat", fn -> Datetime.Date.new!(2002, 12, 4) |> Datetime.Date.isoformat!() end},
      {"date_fromisoformat",
       fn -> Datetime.Date.fromisoformat!("2019-12-04") |> Datetime.Date.isoformat!() end},
      # required parameters by name: date(year=2024, month=1, day=2), date(2024, month=1,
      # day=2), textwrap.shorten(text="Hello  world!", width=12)
      {"date_by_keyword",
       fn -> Datetime.Date.new!(year: 2024, month: 1, day: 2) |> Datetime.Date.isoformat!() end},
      {"date_some_by_keyword",
       fn -> Datetime.Date.new!(2024, month: 1, day: 2) |> Datetime.Date.isoformat!() end},
      {"shorten_by_keyword", fn -> Textwrap.shorten!(text: "Hello  world!", width: 12) end},
      # dict(Counter('abracadabra')): a dict subclass stays a Python object (a ref, its
      # methods callable); to_elixir/1 gives the plain map
      {"counter", fn -> Collections.Counter.new!("abracadabra") |> SnakeBridge.to_elixir!() end},
      # A class as a value is its class module's class/0:
      # d = defaultdict(int); for k in 'mississippi': d[k] += 1; sorted(d.items())
      {"defaultdict_int",
       fn ->
         d = Collections.Defaultdict.new!(Builtins.Int.class!())

         for k <- String.graphemes("mississippi") do
           :ok = SnakeBridge.set_item(d, k, SnakeBridge.get_item!(d, k) + 1)
         end

         Builtins.sorted!(Collections.Defaultdict.items!(d))
       end},
      # isinstance(1, int); isinstance("1", (int, float))
      {"isinstance", fn -> Builtins.isinstance!(1, Builtins.Int.class!()) end},
      {"isinstance_tuple",
       fn ->
         Builtins.isinstance!("1", {Builtins.Int.class!(), Builtins.Float.class!()})
       end},

      # collections.deque([1, 2, 3], maxlen=2); datetime.timedelta(days=1).total_seconds()
      {"deque_maxlen",
       fn -> Collections.Deque.new!([1, 2, 3], maxlen: 2) |> Builtins.list!() end},
      {"timedelta",
       fn -> Datetime.Timedelta.new!(days: 1) |> Datetime.Timedelta.total_seconds!() end},
      # math.gcd(12, 18); math.fsum([0.1] * 10)
      {"gcd", fn -> Math.gcd!(12, 18) end},
      {"fsum", fn -> Math.fsum!(List.duplicate(0.1, 10)) end},
      # json.dumps({"b": 1, "a": 2}, sort_keys=True)
      {"dumps_sorted", fn -> Json.dumps!(%{"b" => 1, "a" => 2}, sort_keys: true) end},
      # list(itertools.permutations("abc", 2))[:2]
      {"permutations",
       fn -> Builtins.list!(Itertools.permutations!("abc", 2)) |> Enum.take(2) end},
      # docs.python.org's examples for the modules below, as each module's page writes them
      {"mean", fn -> Statistics.mean!([1, 2, 3, 4, 4]) end},
      {"median", fn -> Statistics.median!([1, 3, 5]) end},
      {"mode", fn -> Statistics.mode!(["red", "blue", "blue", "red", "green", "red", "red"]) end},
      {"stdev", fn -> Statistics.stdev!([1.5, 2.5, 2.5, 2.75, 3.25, 4.75]) end},
      {"quantiles",
       fn -> Statistics.quantiles!([105, 129, 87, 86, 111, 111, 89, 81, 108, 92], n: 4) end},
      {"fmean_weights",
       fn -> Statistics.fmean!([85, 92, 83, 91], weights: [0.20, 0.20, 0.30, 0.30]) end},
      {"geometric_mean", fn -> Statistics.geometric_mean!([54, 24, 36]) end},
      {"correlation",
       fn -> Statistics.correlation!([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 1, 2, 3, 1, 2, 3]) end},
      {"normaldist",
       fn -> Statistics.NormalDist.new!(100, 15) |> Statistics.NormalDist.cdf!(130) end},
      {"nlargest", fn -> Heapq.nlargest!(3, [1, 8, 2, 23, 7, -4, 18, 23, 42, 37, 2]) end},
      {"nsmallest_key", fn -> Heapq.nsmallest!(2, ["bb", "a", "ccc"], key: &Builtins.len!/1) end},
      {"merge", fn -> Builtins.list!(Heapq.merge!([1, 3, 5], [2, 4, 6])) end},
      {"bisect_left", fn -> Bisect.bisect_left!([1, 2, 4, 4, 8], 4) end},
      {"bisect", fn -> Bisect.bisect!([60, 70, 80, 90], 75) end},
      {"ratio",
       fn ->
         Difflib.SequenceMatcher.new!(nil, "abcd", "bcde") |> Difflib.SequenceMatcher.ratio!()
       end},
      {"close_matches",
       fn -> Difflib.get_close_matches!("appel", ["ape", "apple", "peach", "puppy"]) end},
      {"unified_diff",
       fn ->
         Builtins.list!(
           Difflib.unified_diff!(["a\n", "b\n"], ["a\n", "c\n"], fromfile: "x", tofile: "y")
         )
       end},
      {"reduce_capture", fn -> Functools.reduce!(&Operator.add!/2, [1, 2, 3, 4, 5]) end},
      {"reduce_fn", fn -> Functools.reduce!(fn a, b -> a * b end, [1, 2, 3, 4, 5], 10) end},
      {"itemgetter",
       fn -> Operator.itemgetter!(1) |> SnakeBridge.method!("__call__", ["ABCDEFG"]) end},
      {"re_sub_flags",
       fn -> Re.sub!("\\bAND\\b", "&", "Baked Beans And Spam", flags: Re.py_IGNORECASE!()) end},
      {"findall", fn -> Re.findall!("\\bf[a-z]*", "which foot or hand fell fastest") end},
      {"re_split", fn -> Re.split!("\\W+", "Words, words, words.") end},
      {"re_split_max", fn -> Re.split!("\\W+", "Words, words, words.", 1) end},
      {"match_group",
       fn -> Re.match!("(\\w+) (\\w+)", "Isaac Newton, physicist") |> Re.Match.group!(0) end},
      {"fullmatch_none", fn -> Re.fullmatch!("p.*n", "python3") end},
      {"compile_search",
       fn -> Re.compile!("d") |> Re.Pattern.search!("dog") |> Re.Match.span!() end},
      {"fraction", fn -> Fractions.Fraction.new!(16, -10) |> to_string() end},
      # Fraction(numerator=1, denominator=3)
      {"fraction_by_keyword",
       fn -> Fractions.Fraction.new!(numerator: 1, denominator: 3) |> to_string() end},
      {"fraction_str",
       fn ->
         Fractions.Fraction.new!("3.1415926535897932")
         |> Fractions.Fraction.limit_denominator!(1000)
         |> to_string()
       end},
      {"template",
       fn ->
         PyString.Template.new!("$who likes $what")
         |> PyString.Template.substitute!(who: "tim", what: "kung pao")
       end},
      {"random_seeded", fn -> Random.Random.new!(42) |> Random.Random.random!() end},
      # An Elixir string crosses as a Python str; bytes are passed as SnakeBridge.bytes/1.
      {"sha256",
       fn ->
         Hashlib.sha256!(SnakeBridge.bytes("Nobody inspects the spammish repetition"))
         |> SnakeBridge.method!("hexdigest", [])
       end},
      {"b64encode", fn -> Base64.b64encode!(SnakeBridge.bytes("data to be encoded")) end},
      {"b64decode", fn -> Base64.b64decode!("ZGF0YSB0byBiZSBlbmNvZGVk") end},
      {"urlparse_netloc",
       fn ->
         Urllib.Parse.urlparse!(
           "http://docs.python.org:80/3/library/urllib.parse.html?highlight=params#url-parsing"
         )
         |> SnakeBridge.attr!("netloc")
       end},
      # urlencode({"spam": 1, "eggs": 2}) keeps dict order; an Elixir map has none (its keys
      # arrive sorted), so the ordered form the same page documents, a list of pairs.
      {"urlencode", fn -> Urllib.Parse.urlencode!([{"spam", 1}, {"eggs", 2}]) end},
      {"quote", fn -> Urllib.Parse.quote!("/El Niño/") end},
      {"shlex_split", fn -> Shlex.split!(~s(ls -l "my file")) end},
      {"shlex_quote", fn -> Shlex.quote!("somefile; rm -rf ~") end},
      {"fnmatch", fn -> Fnmatch.fnmatch!("foo.txt", "*.txt") end},
      {"fnmatch_filter", fn -> Fnmatch.filter!(["a.py", "b.txt"], "*.py") end},
      {"isleap", fn -> PyCalendar.isleap!(2024) end},
      {"monthrange", fn -> PyCalendar.monthrange!(2024, 2) end},
      {"uuid_hex",
       fn -> Uuid.UUID.new!("{12345678-1234-5678-1234-567812345678}") |> Uuid.UUID.hex!() end},
      {"uuid5", fn -> Uuid.uuid5!(Uuid.py_NAMESPACE_DNS!(), "python.org") |> to_string() end},
      {"crc32", fn -> Zlib.crc32!(SnakeBridge.bytes("hello world")) end},
      {"comb", fn -> Math.comb!(5, 2) end},
      {"prod", fn -> Math.prod!([1, 2, 3, 4]) end},
      {"dist", fn -> Math.dist!([1, 2], [4, 6]) end},
      {"pi", fn -> Math.pi!() end},
      {"factorial_big", fn -> Math.factorial!(30) end},
      {"sqrt_neg", fn -> Math.sqrt!(-1) end},
      {"groupby",
       fn -> Itertools.groupby!("AAAABBBCCDAABBB") |> Builtins.list!() |> length() end},
      {"product_repeat", fn -> Builtins.list!(Itertools.product!("AB", repeat: 2)) end},
      {"combinations", fn -> Builtins.list!(Itertools.combinations!("ABCD", 2)) end},
      {"count_islice", fn -> Builtins.list!(Itertools.islice!(Itertools.count!(10), 3)) end},
      {"strftime",
       fn ->
         Datetime.Datetime.new!(2024, 1, 2, 3, 4, 5)
         |> Datetime.Datetime.strftime!("%Y-%m-%d %H:%M")
       end},
      {"fromisoformat",
       fn ->
         Datetime.Datetime.fromisoformat!("2011-11-04T00:05:23") |> Datetime.Datetime.isoformat!()
       end},
      {"purepath",
       fn -> Pathlib.PurePosixPath.new!("/etc/passwd") |> Pathlib.PurePosixPath.name!() end},
      {"purepath_parts",
       fn -> Pathlib.PurePosixPath.new!("/usr/bin/python3") |> Pathlib.PurePosixPath.parts!() end},
      {"purepath_joinpath",
       fn ->
         Pathlib.PurePosixPath.new!("/etc")
         |> Pathlib.PurePosixPath.joinpath!("init.d", "apache2")
         |> to_string()
       end},
      {"sum_start", fn -> Builtins.sum!([1, 2, 3], start: 10) end},
      {"enumerate", fn -> Builtins.list!(Builtins.enumerate!("abc", start: 1)) end},
      {"zip", fn -> Builtins.list!(Builtins.zip!([1, 2], [3, 4])) end},
      {"map_capture",
       fn -> Builtins.list!(Builtins.map!(&Builtins.Str.upper!/1, ["a", "b"])) end},
      {"filter_none", fn -> Builtins.list!(Builtins.filter!(nil, [0, 1, 2, nil, 3])) end},
      {"sorted_key", fn -> Builtins.sorted!(["ccc", "a", "bb"], key: &Builtins.len!/1) end},
      {"pow_mod", fn -> Builtins.pow!(3, 4, 5) end},
      {"format", fn -> Builtins.format!(3.14159, ".2f") end},
      {"str_split", fn -> Builtins.Str.split!("a,b,,c", ",") end},
      {"str_join", fn -> Builtins.Str.join!(",", ["a", "b"]) end},
      {"upper_unicode", fn -> Builtins.Str.upper!("straße") end},
      {"len_unicode", fn -> Builtins.len!("日本語") end},
      {"fromhex", fn -> Builtins.Bytes.fromhex!("2Ef0 F1f2  ") end},
      {"from_bytes",
       fn -> Builtins.Int.from_bytes!(SnakeBridge.bytes(<<0, 16>>), byteorder: "big") end},
      {"int_bad", fn -> Builtins.int!("abc") end},
      {"chr_ord", fn -> {Builtins.chr!(97), Builtins.ord!("a")} end},
      {"hex_bin", fn -> {Builtins.hex!(255), Builtins.bin!(10)} end},
      # docs.python.org, further modules and functions as their pages write them
      {"ip_address", fn -> Ipaddress.ip_address!("192.168.0.1") |> to_string() end},
      {"ip_network_size",
       fn -> Ipaddress.ip_network!("192.168.0.0/28") |> Ipaddress.IPv4Network.num_addresses!() end},
      {"ip_hosts",
       fn ->
         Ipaddress.ip_network!("192.0.2.0/29")
         |> Ipaddress.IPv4Network.hosts!()
         |> Enum.map(&to_string/1)
       end},
      {"ip_exploded",
       fn -> Ipaddress.ip_address!("2001:db8::") |> Ipaddress.IPv6Address.exploded!() end},
      {"ip_interface_network",
       fn ->
         Ipaddress.ip_interface!("192.0.2.5/24")
         |> Ipaddress.IPv4Interface.network!()
         |> to_string()
       end},
      {"ip_from_int", fn -> Ipaddress.IPv4Address.new!(3_232_235_521) |> to_string() end},
      {"ip_bad", fn -> Ipaddress.ip_address!("300.1.1.1") end},
      {"decimal_prec", fn -> Decimal.getcontext!() |> SnakeBridge.attr!("prec") end},
      {"dedent", fn -> Textwrap.dedent!("    hello\n      world\n") end},
      {"indent", fn -> Textwrap.indent!("hello\n\nworld\n", "+ ") end},
      {"indent_predicate",
       fn -> Textwrap.indent!("hello\n\nworld\n", "+ ", fn _line -> true end) end},
      {"fill", fn -> Textwrap.fill!("The quick brown fox jumps", width: 10) end},
      {"textwrapper",
       fn ->
         Textwrap.TextWrapper.new!(width: 10)
         |> Textwrap.TextWrapper.wrap!("The quick brown fox jumps")
       end},
      {"capwords", fn -> PyString.capwords!("hello world") end},
      {"harmonic_mean", fn -> Statistics.harmonic_mean!([40, 60]) end},
      {"inv_cdf",
       fn -> Statistics.NormalDist.new!() |> Statistics.NormalDist.inv_cdf!(0.975) end},
      {"from_samples",
       fn ->
         Statistics.NormalDist.from_samples!([2.5, 3.1, 2.1, 2.4, 2.7, 3.5])
         |> Statistics.NormalDist.mean!()
       end},
      {"partial",
       fn ->
         Functools.partial!(&Builtins.int!/2, base: 2)
         |> SnakeBridge.method!("__call__", ["10010"])
       end},
      {"cmp_to_key",
       fn -> Builtins.sorted!([3, 1, 2], key: Functools.cmp_to_key!(fn a, b -> b - a end)) end},
      {"pairwise", fn -> Builtins.list!(Itertools.pairwise!("ABCDEFG")) end},
      {"starmap",
       fn -> Builtins.list!(Itertools.starmap!(&Builtins.pow!/2, [{2, 5}, {3, 2}, {10, 3}])) end},
      {"takewhile",
       fn -> Builtins.list!(Itertools.takewhile!(fn x -> x < 5 end, [1, 4, 6, 3, 8])) end},
      {"compress", fn -> Builtins.list!(Itertools.compress!("ABCDEF", [1, 0, 1, 0, 1, 1])) end},
      {"cycle", fn -> Builtins.list!(Itertools.islice!(Itertools.cycle!("ABCD"), 6)) end},
      {"chain_from_iterable",
       fn -> Builtins.list!(Itertools.Chain.from_iterable!(["ABC", "DEF"])) end},
      {"islice_step", fn -> Builtins.list!(Itertools.islice!("ABCDEFG", 0, nil, 2)) end},
      {"most_common",
       fn -> Collections.Counter.new!("abracadabra") |> Collections.Counter.most_common!(3) end},
      {"counter_total",
       fn -> Collections.Counter.new!(cats: 4, dogs: 8) |> Collections.Counter.total!() end},
      {"chainmap",
       fn ->
         Collections.ChainMap.new!(%{"a" => 1}, %{"a" => 2, "b" => 3})
         |> SnakeBridge.get_item!("a")
       end},
      {"popitem_first",
       fn ->
         Collections.OrderedDict.new!([{"b", 1}, {"a", 2}])
         |> Collections.OrderedDict.popitem!(last: false)
       end},
      {"namedtuple_kw",
       fn ->
         Collections.namedtuple!("Point", ["x", "y"])
         |> SnakeBridge.method!("__call__", [11], y: 22)
         |> SnakeBridge.attr!("y")
       end}
    ]
  end
end
