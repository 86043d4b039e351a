"""Permutation-equivariant set operators on flat rows grouped by segment ids (no padding).

Each operator maps ``x`` ``[n, F]`` with ``group`` ``[n]`` (ids in ``[0, num_groups)``, any order)
to ``[n, D]``, treating every group as one set: the building blocks of CoNHD (Zheng & Worring,
CIKM 2025), whose sets are the incidences of one node or one hyperedge. :class:`PMA` pools each
group into one row (``[num_groups, D]``), AllSet's multiset function; :class:`SetMLP` is the MLP
of the AllSet and ED-HNN layers.
"""
from hgnn.nn.set.attention import MAB, check_group, check_num_groups, group_pairs
from hgnn.nn.set.isab import ISAB
from hgnn.nn.set.pma import PMA
from hgnn.nn.set.sab import SAB
from hgnn.nn.set.set_mlp import SetMLP
from hgnn.nn.set.unp import UNP

__all__ = ["ISAB", "MAB", "PMA", "SAB", "SetMLP", "UNP", "check_group", "check_num_groups", "group_pairs"]
