import networkx as nx


def _graph():
    g = nx.Graph()
    g.add_edge(1, 2)
    g.add_nodes_from([3, 4])
    return g.number_of_nodes(), g.number_of_edges()


def _topological_sort():
    g = nx.DiGraph()
    g.add_edges_from([(1, 2), (2, 3)])
    return list(nx.topological_sort(g))


def _add_edge():
    g = nx.Graph()
    g.add_edge(1, 2)
    g.add_nodes_from([3, 4])
    return (g.number_of_edges(), g.number_of_nodes())


def _dijkstra():
    g = nx.Graph()
    g.add_weighted_edges_from([(1, 2, 0.5), (2, 3, 0.5), (1, 3, 2.0)])
    return nx.dijkstra_path(g, 1, 3, weight="weight")


def _mst():
    g = nx.Graph()
    g.add_weighted_edges_from([(1, 2, 1), (2, 3, 1), (1, 3, 5)])
    return nx.minimum_spanning_tree(g).number_of_edges()


CASES = {
    "shortest_path": lambda: nx.shortest_path(nx.path_graph(4), 0, 3),
    "shortest_path_kw": lambda: nx.shortest_path(nx.path_graph(4), source=0, target=3),
    "graph": _graph,
    "complete_graph": lambda: nx.complete_graph(5).number_of_edges(),
    "degree_centrality": lambda: nx.degree_centrality(nx.star_graph(3)),
    "is_connected": lambda: nx.is_connected(nx.path_graph(3)),
    "density": lambda: nx.density(nx.path_graph(3)),
    "shortest_path_length": lambda: nx.shortest_path_length(
        nx.path_graph(3), 0, 2, weight="weight"
    ),
    "pagerank_keys": lambda: sorted(nx.pagerank(nx.path_graph(3))),
    "has_path": lambda: nx.has_path(nx.path_graph(4), 0, 3),
    "diameter": lambda: nx.diameter(nx.path_graph(5)),
    "graph_from_edges": lambda: nx.to_dict_of_lists(nx.Graph([(1, 2), (2, 3)])),
    "topological_sort": lambda: _topological_sort(),
    "number_of_nodes": lambda: nx.number_of_nodes(nx.cycle_graph(4)),
    "bfs_tree": lambda: list(nx.bfs_tree(nx.path_graph(3), 0).edges()),
    "degree_view": lambda: list(nx.path_graph(3).degree()),
    "adjacency_keys": lambda: list(nx.path_graph(3).adj[1]),
    "connected_components": lambda: sorted(
        len(c) for c in nx.connected_components(nx.Graph([(1, 2), (3, 4), (4, 5)]))
    ),
    "nx_add_edge": _add_edge,
    "nx_digraph_longest": lambda: nx.dag_longest_path(nx.DiGraph([(1, 2), (2, 3)])),
    "nx_weighted_dijkstra": _dijkstra,
    "nx_betweenness": lambda: nx.betweenness_centrality(nx.path_graph(3)),
    "nx_clustering": lambda: nx.clustering(nx.complete_graph(3)),
    "nx_neighbors": lambda: list(nx.path_graph(3).neighbors(1)),
    "nx_karate": lambda: nx.karate_club_graph().number_of_nodes(),
    "nx_mst_edges": _mst,
}
