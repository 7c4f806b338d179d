defmodule MatplotlibApp do
  @moduledoc "Calls as matplotlib's documentation writes them (matplotlib.org/stable), Agg backend."

  alias Matplotlib.Axes.Axes
  alias Matplotlib.Pyplot

  def cases do
    [
      # fig, ax = plt.subplots(); ax.plot([1, 2, 3, 4], [1, 4, 2, 3]); len(lines)
      {"plot",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         lines = Axes.plot!(ax, [1, 2, 3, 4], [1, 4, 2, 3])
         Pyplot.close!(fig)
         length(lines)
       end},
      # ax.set_title("Title"); ax.get_title()
      {"title",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         Axes.set_title!(ax, "Title")
         title = Axes.get_title!(ax)
         Pyplot.close!(fig)
         title
       end},
      # ax.plot(x, y, label="a"); ax.legend(); ax.set_xlabel("x")
      {"legend",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         Axes.plot!(ax, [1, 2], [3, 4], label: "a")
         legend = Axes.legend!(ax)
         Pyplot.close!(fig)
         legend.type
       end},
      # plt.figure(figsize=(4, 3)).get_size_inches().tolist()
      {"figure",
       fn ->
         fig = Pyplot.figure!(figsize: {4, 3})
         size = fig |> Matplotlib.Figure.Figure.get_size_inches!() |> Numpy.Ndarray.tolist!()
         Pyplot.close!(fig)
         size
       end},
      # plt.loglog([1, 10, 100], [1, 10, 100]); plt.semilogy(...); plt.close("all")
      {"loglog",
       fn ->
         lines = Pyplot.loglog!([1, 10, 100], [1, 10, 100])
         Pyplot.close!("all")
         length(lines)
       end},
      {"semilogy",
       fn ->
         lines = Pyplot.semilogy!([1, 2, 3], [10, 100, 1000])
         Pyplot.close!("all")
         length(lines)
       end},
      # plt.semilogx([10, 100, 1000], [1, 2, 3]); plt.triplot([0, 1, 0], [0, 0, 1])
      {"semilogx",
       fn ->
         lines = Pyplot.semilogx!([10, 100, 1000], [1, 2, 3])
         Pyplot.close!("all")
         length(lines)
       end},
      {"triplot",
       fn ->
         lines = Pyplot.triplot!([0, 1, 0], [0, 0, 1])
         Pyplot.close!("all")
         length(lines)
       end},
      # ax.bar(["a", "b"], [3, 5]); len(bars): a BarContainer, a tuple subclass, crosses
      # as a tuple
      {"bar",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         bars = Axes.bar!(ax, ["a", "b"], [3, 5])
         Pyplot.close!(fig)
         tuple_size(bars)
       end},
      # matplotlib.get_backend()
      {"backend", fn -> Matplotlib.get_backend!() end},

      # fig, ax = plt.subplots(); ax.set_xlim(0, 10); ax.get_xlim()
      {"xlim",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         Axes.set_xlim!(ax, 0, 10)
         limits = Axes.get_xlim!(ax)
         Pyplot.close!(fig)
         limits
       end},
      # ax.scatter([1, 2], [3, 4]); ax.hist([1, 2, 2, 3], bins=3)
      {"scatter",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         paths = Axes.scatter!(ax, [1, 2], [3, 4])
         Pyplot.close!(fig)
         paths.type
       end},
      {"hist",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         {n, _bins, _patches} = Axes.hist!(ax, [1, 2, 2, 3], bins: 3)
         Pyplot.close!(fig)
         Numpy.Ndarray.tolist!(n)
       end},
      # fig, axs = plt.subplots(2, 2); axs.shape
      {"subplots_grid",
       fn ->
         {fig, axs} = Pyplot.subplots!(2, 2)
         shape = Numpy.Ndarray.shape!(axs)
         Pyplot.close!(fig)
         shape
       end},

      # buf = io.BytesIO(); fig.savefig(buf, format="png"); buf.getvalue()[:4] == b"\x89PNG"
      {"savefig",
       fn ->
         {fig, ax} = Pyplot.subplots!()
         Axes.plot!(ax, [1, 2])
         buf = Io.BytesIO.new!()
         Matplotlib.Figure.Figure.savefig!(fig, buf, format: "png")
         Pyplot.close!(fig)
         %SnakeBridge.Bytes{data: png} = Io.BytesIO.getvalue!(buf)
         binary_part(png, 0, 4) == <<0x89, "PNG">>
       end}
    ]
  end
end
