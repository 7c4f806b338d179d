import networkx as nx


def _graph():
    g = nx.Graph()
    g.add_edge(1, 2)
    g.add_nodes_from([3, 4])
    return g.number_of_nodes(), g.number_of_edges()


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
}
