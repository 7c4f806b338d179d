defmodule NetworkxApp do
  @moduledoc "Calls as networkx's documentation writes them (networkx.org/documentation/stable)."

  def cases do
    [
      # G = nx.path_graph(4); nx.shortest_path(G, 0, 3); nx.shortest_path(G, source=0, target=3)
      {"shortest_path", fn -> Networkx.shortest_path!(Networkx.path_graph!(4), 0, 3) end},
      {"shortest_path_kw",
       fn -> Networkx.shortest_path!(Networkx.path_graph!(4), source: 0, target: 3) end},
      # G = nx.Graph(); G.add_edge(1, 2); G.add_nodes_from([3, 4]); G.number_of_nodes()
      {"graph",
       fn ->
         g = Networkx.Graph.new!()
         Networkx.Graph.add_edge!(g, 1, 2)
         Networkx.Graph.add_nodes_from!(g, [3, 4])
         {Networkx.Graph.number_of_nodes!(g), Networkx.Graph.number_of_edges!(g)}
       end},
      # nx.complete_graph(5).number_of_edges()
      {"complete_graph",
       fn -> Networkx.complete_graph!(5) |> Networkx.Graph.number_of_edges!() end},
      # nx.degree_centrality(nx.star_graph(3))
      {"degree_centrality", fn -> Networkx.degree_centrality!(Networkx.star_graph!(3)) end},
      # nx.is_connected(G); nx.density(G)
      {"is_connected", fn -> Networkx.is_connected!(Networkx.path_graph!(3)) end},
      {"density", fn -> Networkx.density!(Networkx.path_graph!(3)) end},
      # nx.shortest_path_length(G, 0, 2, weight="weight")
      {"shortest_path_length",
       fn -> Networkx.shortest_path_length!(Networkx.path_graph!(3), 0, 2, weight: "weight") end},
      # sorted(nx.connected_components(G)) of two components
      {"pagerank_keys",
       fn -> Networkx.pagerank!(Networkx.path_graph!(3)) |> Map.keys() |> Enum.sort() end},

      # nx.has_path(G, 0, 3); nx.diameter(nx.path_graph(5))
      {"has_path", fn -> Networkx.has_path!(Networkx.path_graph!(4), 0, 3) end},
      {"diameter", fn -> Networkx.diameter!(Networkx.path_graph!(5)) end},
      # G = nx.Graph([(1, 2), (2, 3)]); nx.to_dict_of_lists(G)
      {"graph_from_edges",
       fn -> Networkx.to_dict_of_lists!(Networkx.Graph.new!([{1, 2}, {2, 3}])) end},
      # G = nx.DiGraph(); G.add_edges_from([(1, 2), (2, 3)]); list(nx.topological_sort(G))
      {"topological_sort",
       fn ->
         g = Networkx.DiGraph.new!()
         Networkx.DiGraph.add_edges_from!(g, [{1, 2}, {2, 3}])
         Networkx.topological_sort!(g) |> Enum.to_list()
       end},
      # nx.cycle_graph(4).number_of_edges(); nx.number_of_nodes(nx.cycle_graph(4))
      {"number_of_nodes", fn -> Networkx.number_of_nodes!(Networkx.cycle_graph!(4)) end},

      # list(nx.bfs_tree(G, 0).edges()): an edge view is a Mapping but not a dict, so it
      # enumerates as Python's iter() does, edge by edge
      {"bfs_tree",
       fn ->
         Networkx.bfs_tree!(Networkx.path_graph!(3), 0)
         |> Networkx.DiGraph.edges!()
         |> Enum.to_list()
       end},
      # dict(G.degree()); list(G.adj[0]); list(G.nodes(data=True))
      {"degree_view",
       fn -> Networkx.path_graph!(3) |> Networkx.Graph.degree!() |> Enum.to_list() end},
      {"adjacency_keys",
       fn ->
         Networkx.path_graph!(3) |> SnakeBridge.attr!("adj") |> Access.get(1) |> Enum.to_list()
       end},
      # sorted(len(c) for c in nx.connected_components(G))
      {"connected_components",
       fn ->
         g = Networkx.Graph.new!([{1, 2}, {3, 4}, {4, 5}])
         Networkx.connected_components!(g) |> Enum.map(&MapSet.size/1) |> Enum.sort()
       end},
      # more calls as the library's documentation writes them
      {"nx_add_edge",
       fn ->
         g = Networkx.Graph.new!()
         Networkx.Graph.add_edge!(g, 1, 2)
         Networkx.Graph.add_nodes_from!(g, [3, 4])
         {Networkx.Graph.number_of_edges!(g), Networkx.Graph.number_of_nodes!(g)}
       end},
      {"nx_digraph_longest",
       fn -> Networkx.DiGraph.new!([{1, 2}, {2, 3}]) |> Networkx.dag_longest_path!() end},
      {"nx_weighted_dijkstra",
       fn ->
         g = Networkx.Graph.new!()
         Networkx.Graph.add_weighted_edges_from!(g, [{1, 2, 0.5}, {2, 3, 0.5}, {1, 3, 2.0}])
         Networkx.dijkstra_path!(g, 1, 3, weight: "weight")
       end},
      {"nx_betweenness", fn -> Networkx.path_graph!(3) |> Networkx.betweenness_centrality!() end},
      {"nx_clustering", fn -> Networkx.complete_graph!(3) |> Networkx.clustering!() end},
      {"nx_neighbors",
       fn -> Networkx.path_graph!(3) |> Networkx.Graph.neighbors!(1) |> Enum.to_list() end},
      {"nx_karate", fn -> Networkx.karate_club_graph!() |> Networkx.Graph.number_of_nodes!() end},
      {"nx_mst_edges",
       fn ->
         g = Networkx.Graph.new!()
         Networkx.Graph.add_weighted_edges_from!(g, [{1, 2, 1}, {2, 3, 1}, {1, 3, 5}])
         Networkx.minimum_spanning_tree!(g) |> Networkx.Graph.number_of_edges!()
       end}
    ]
  end
end
