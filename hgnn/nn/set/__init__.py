"""Permutation-equivariant set operators on flat rows grouped by segment ids (no padding).

Each operator maps ``x`` ``[n, F]`` with ``group`` ``[n]`` (ids in ``[0, num_groups)``, any order)
to ``[n, D]``, treating every group as one set: the building blocks of CoNHD (Zheng & Worring,
CIKM 2025), whose sets are the incidences of one node or one hyperedge.
"""
from hgnn.nn.set.attention import MAB, check_group, check_num_groups, group_pairs
from hgnn.nn.set.isab import ISAB
from hgnn.nn.set.sab import SAB
from hgnn.nn.set.unp import UNP

__all__ = ["ISAB", "MAB", "SAB", "UNP", "check_group", "check_num_groups", "group_pairs"]
