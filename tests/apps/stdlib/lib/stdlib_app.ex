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
       fn -> Builtins.list!(Itertools.permutations!("abc", 2)) |> Enum.take(2) end}
    ]
  end
end
