"""The dual hypergraph: nodes and hyperedges swap roles."""
from __future__ import annotations

from hgnn.structure.hypergraph import Hypergraph
from hgnn.structure.validate import check_weight


def dual(hg: Hypergraph) -> Hypergraph:
    r"""Return the dual hypergraph :math:`G^* = (E, V)`, incidence matrix :math:`H^\top`.

    Node :math:`i` of the dual is hyperedge :math:`i` of ``hg`` and vice versa, so
    ``dual(hg).hyperedge_index == hg.hyperedge_index.flip(0)`` (incidence order kept). Features swap:
    the dual's ``x`` is ``hg.edge_attr`` (``[M, F']``) and its ``edge_attr`` is ``hg.x``;
    ``node_data`` and ``edge_data`` swap. So that ``dual(dual(hg))`` gives ``hg`` back, the node
    labels ``y`` travel as ``edge_data["y"]`` and the hyperedge weights as ``node_data["weight"]``
    (and come back from there); a ``node_data["y"]`` or ``edge_data["weight"]`` of the caller's
    would be ambiguous and raises ``ValueError``. Cached sorted orders are reused, not recomputed.

    This is the structure behind the Dual Hypergraph Transformation of EHGNN (Jo et al.,
    "Edge Representation Learning with Hypergraphs", NeurIPS 2021).
    """
    for level, key, carried in (("node", "y", "node labels"), ("edge", "weight", "hyperedge weights")):
        if key in getattr(hg, f"{level}_data"):
            raise ValueError(
                f"{level}_data[{key!r}] would be mistaken for the {carried} that dual() carries under that "
                f"name; rename the extra before taking the dual"
            )
    node_data = {k: v for k, v in hg.edge_data.items() if k != "y"}
    edge_data = {k: v for k, v in hg.node_data.items() if k != "weight"}
    if hg.is_weighted:
        node_data["weight"] = hg.edge_weight
    if hg.y is not None:
        edge_data["y"] = hg.y
    weight = hg.node_data.get("weight")
    if weight is not None:
        check_weight(weight, hg.num_nodes, "node_data['weight'] (the dual's edge_weight)", "node")
    out = Hypergraph(
        hg.hyperedge_index.flip(0),
        num_nodes=hg.num_edges,
        num_edges=hg.num_nodes,
        edge_weight=weight,
        x=hg.edge_attr,
        edge_attr=hg.x,
        incidence_attr=hg.incidence_attr,
        y=hg.edge_data.get("y"),
        node_data=node_data,
        edge_data=edge_data,
        incidence_data=hg.incidence_data,
        validate=False,
    )
    kept = hg.cached_keys()
    swap = {"node_order": "edge_order", "edge_order": "node_order", "node_degree": "edge_degree", "edge_degree": "node_degree"}
    for name, other in swap.items():
        if ("hypergraph", name) in kept:  # hg's method returns its kept value: nothing is recomputed
            out.cache(("hypergraph", other), getattr(hg, name))
    return out
