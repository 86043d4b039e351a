"""ogbg-molhiv rebuilt from MoleculeNet's HIV.csv: 41,127 molecules, binary HIV activity.

Hu et al., "Open Graph Benchmark", NeurIPS 2020; Wu et al., "MoleculeNet", Chemical Science 2018.
The OGB files cannot be downloaded here, but ``molhiv/HIV.csv`` holds the same molecules. This
loader turns each SMILES string into a graph with OGB's featurisation (``ogb.utils.features`` on an
RDKit molecule: 9 integer atom features, 3 integer bond features, both directions of every bond, as
ogb's ``smiles2graph``) and
rebuilds OGB's **scaffold split**: molecules grouped by Bemis-Murcko scaffold (RDKit,
chirality included), groups sorted by size (largest first; ties by first index), filled into
train until 80%, then valid until 90%, then test. That is OGB's recipe, but the split is a
reconstruction, not OGB's files: say so next to any number it produces.

With internet, ``load_molhiv(folder, source="ogb")`` returns the official
``PygGraphPropPredDataset`` instead (``ogb`` downloads it into ``folder``).

Needs the ``mol`` extra (``pip install hgnn[mol]``: ``rdkit``, ``ogb``). The graphs are cached
as plain tensors in ``ogbg-molhiv.pt`` in the user cache's folder for derived files
(:func:`hgnn.datasets.root.derived_cache_dir`, by default ``~/.cache/hgnn/cache/``), written
atomically and read back with ``weights_only=True``. The cache records the SHA-256 of the
``HIV.csv`` it was built from: a cache built from another file, or one that is unreadable,
truncated or internally inconsistent, is rebuilt.
"""
from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from pathlib import Path

import torch

from hgnn.datasets.registry import register
from hgnn.datasets.root import derived_cache_dir, sha256_file
from hgnn.datasets.tu import GraphDataset
from hgnn.io import save_torch

__all__ = ["load_molhiv", "mol_to_graph", "parse_smiles", "read_hiv_csv", "scaffold_split"]

_CACHE_VERSION = 2
_TENSOR_KEYS = frozenset(
    {"x", "edge_index", "edge_attr", "num_nodes", "num_edges", "y", "split_train", "split_valid", "split_test"}
)


def _require_mol():
    try:
        import ogb.utils.features  # noqa: F401
        import rdkit  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("ogbg-molhiv needs RDKit and ogb: pip install 'hgnn[mol]' (rdkit, ogb)") from err


def parse_smiles(smiles: str):
    """An RDKit molecule from ``smiles``. The few HIV.csv entries that recent RDKit versions reject
    for their valences (7 of 41,127 with RDKit 2026.09: hypervalent Al, B, ...; OGB parsed them with
    an older RDKit) are read without the valence check, so that no molecule is lost."""
    _require_mol()
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None:
            raise ValueError(f"RDKit cannot read the SMILES {smiles!r}")
        mol.UpdatePropertyCache(strict=False)
        Chem.SanitizeMol(mol, Chem.SanitizeFlags.SANITIZE_ALL ^ Chem.SanitizeFlags.SANITIZE_PROPERTIES,
                         catchErrors=True)
    return mol


def mol_to_graph(mol) -> dict[str, torch.Tensor]:
    """OGB's featurisation of an RDKit molecule (``ogb.utils.features``): ``x`` ``[n, 9]``,
    ``edge_index`` ``[2, 2b]`` (both directions of each bond, in bond order), ``edge_attr`` ``[2b, 3]``."""
    from ogb.utils.features import atom_to_feature_vector, bond_to_feature_vector

    x = torch.tensor([atom_to_feature_vector(a) for a in mol.GetAtoms()], dtype=torch.long).view(-1, 9)
    pairs, feats = [], []
    for bond in mol.GetBonds():
        i, j, f = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond_to_feature_vector(bond)
        pairs += [(i, j), (j, i)]
        feats += [f, f]
    edge_index = torch.tensor(pairs, dtype=torch.long).view(-1, 2).t().contiguous()
    return {"x": x, "edge_index": edge_index, "edge_attr": torch.tensor(feats, dtype=torch.long).view(-1, 3)}


def read_hiv_csv(path: Path) -> tuple[list[str], list[int]]:
    """SMILES strings and ``HIV_active`` labels of MoleculeNet's ``HIV.csv`` (with or without a
    leading index column)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "smiles" not in rows[0] or "HIV_active" not in rows[0]:
        raise ValueError(f"{path} is not MoleculeNet's HIV.csv (needs 'smiles' and 'HIV_active' columns)")
    return [r["smiles"] for r in rows], [int(r["HIV_active"]) for r in rows]


def scaffold_split(mols: list, frac_train: float = 0.8, frac_valid: float = 0.1) -> dict[str, torch.Tensor]:
    """OGB's / MoleculeNet's deterministic scaffold split of RDKit molecules (see the module docstring).

    Returns:
        ``{"train", "valid", "test"}`` of sorted int64 indices.
    """
    _require_mol()
    from rdkit.Chem.Scaffolds import MurckoScaffold

    from rdkit import Chem

    def scaffold(mol) -> str:
        try:
            return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True)
        except Exception:  # the valence-rejected molecules: each is its own scaffold group
            return "unsanitisable:" + Chem.MolToSmiles(mol)

    groups: dict[str, list[int]] = defaultdict(list)
    for i, mol in enumerate(mols):
        groups[scaffold(mol)].append(i)
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(mols)
    train_cut, valid_cut = frac_train * n, (frac_train + frac_valid) * n
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for group in ordered:
        if len(parts["train"]) + len(group) > train_cut:
            if len(parts["train"]) + len(parts["valid"]) + len(group) > valid_cut:
                parts["test"] += group
            else:
                parts["valid"] += group
        else:
            parts["train"] += group
    return {k: torch.tensor(sorted(v), dtype=torch.long) for k, v in parts.items()}


def _build(path: Path) -> dict[str, torch.Tensor]:
    from tqdm.auto import tqdm

    smiles, labels = read_hiv_csv(path)
    mols = [parse_smiles(s) for s in tqdm(smiles, desc="ogbg-molhiv: parse SMILES", leave=False)]
    xs, eis, eas, n_nodes, n_edges = [], [], [], [], []
    for mol in tqdm(mols, desc="ogbg-molhiv: featurise", leave=False):
        g = mol_to_graph(mol)
        xs.append(g["x"])
        eis.append(g["edge_index"])
        eas.append(g["edge_attr"])
        n_nodes.append(g["x"].size(0))
        n_edges.append(g["edge_index"].size(1))
    split = scaffold_split(mols)
    return {"x": torch.cat(xs).long(), "edge_index": torch.cat(eis, dim=1).long(), "edge_attr": torch.cat(eas).long(),
            "num_nodes": torch.tensor(n_nodes), "num_edges": torch.tensor(n_edges), "y": torch.tensor(labels),
            **{f"split_{k}": v for k, v in split.items()}}


def _consistent(t: object) -> bool:
    """Whether ``t`` is the tensor dict :func:`_build` returns, with sizes that agree."""
    if not isinstance(t, dict) or set(t) != _TENSOR_KEYS:
        return False
    if not all(isinstance(v, torch.Tensor) and v.dtype == torch.long for v in t.values()):
        return False
    x, ei, ea, nn, ne, y = (t[k] for k in ("x", "edge_index", "edge_attr", "num_nodes", "num_edges", "y"))
    n = y.numel()
    shapes_ok = (
        x.dim() == 2 and x.size(1) == 9 and ei.dim() == 2 and ei.size(0) == 2 and ea.dim() == 2
        and ea.size(1) == 3 and ea.size(0) == ei.size(1) and y.dim() == 1 and nn.shape == (n,) and ne.shape == (n,)
    )
    if not shapes_ok or bool((nn < 0).any()) or bool((ne < 0).any()):
        return False
    if int(nn.sum()) != x.size(0) or int(ne.sum()) != ei.size(1):
        return False
    if ei.numel() and (int(ei.min()) < 0 or bool((ei >= torch.repeat_interleave(nn, ne)).any())):
        return False  # edge_index holds node ids local to each molecule
    split = torch.cat([t["split_train"], t["split_valid"], t["split_test"]])
    return bool(torch.equal(split.sort().values, torch.arange(n)))


def _read_cache(path: Path, source_sha256: str) -> dict[str, torch.Tensor] | None:
    """The cached tensors if ``path`` holds a consistent cache built from a file with this SHA-256."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # truncated, corrupt or foreign: rebuilt by the caller
        return None
    if not isinstance(stored, dict) or stored.get("version") != _CACHE_VERSION:
        return None
    if stored.get("source_sha256") != source_sha256 or not _consistent(stored.get("tensors")):
        return None
    return stored["tensors"]


def load_molhiv(folder: Path, *, source: str = "csv", cache: bool = True) -> GraphDataset:
    """ogbg-molhiv as a :class:`~hgnn.datasets.tu.GraphDataset` of PyG ``Data``.

    Each graph: ``x`` int64 ``[n, 9]`` (OGB atom features), ``edge_index`` ``[2, m]``,
    ``edge_attr`` int64 ``[m, 3]`` (OGB bond features), ``y`` int64 ``[1, 1]``. The dataset's
    ``split`` attribute holds the reconstructed scaffold split ``{"train", "valid", "test"}``.

    Args:
        folder: the folder holding ``HIV.csv``.
        source: ``"csv"`` (rebuild from ``HIV.csv``) or ``"ogb"`` (the official OGB dataset, downloaded
            by ``ogb`` into ``folder``; needs internet).
        cache: keep the rebuilt tensors in ``ogbg-molhiv.pt`` under
            :func:`~hgnn.datasets.root.derived_cache_dir`, tied to the SHA-256 of
            ``HIV.csv`` (a cache of another file, or an unreadable or inconsistent one, is rebuilt).
            A cache that cannot be written is reported with a warning.
    """
    if source == "ogb":  # pragma: no cover - needs internet
        from ogb.graphproppred import PygGraphPropPredDataset

        return PygGraphPropPredDataset("ogbg-molhiv", root=str(folder))
    if source != "csv":
        raise ValueError(f"source must be 'csv' or 'ogb', got {source!r}")
    from torch_geometric.data import Data

    csv_path = Path(folder) / "HIV.csv"
    source_sha256 = sha256_file(csv_path)
    cache_file = derived_cache_dir() / "ogbg-molhiv.pt"
    t = _read_cache(cache_file, source_sha256) if cache and cache_file.is_file() else None
    if t is None:
        t = _build(csv_path)
        if cache:
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                save_torch({"version": _CACHE_VERSION, "source_sha256": source_sha256, "tensors": t}, cache_file)
            except OSError as err:
                warnings.warn(f"ogbg-molhiv: could not write the cache {cache_file} ({err}); "
                              "the dataset is returned without caching", UserWarning, stacklevel=2)
    node_ptr = torch.cat([torch.zeros(1, dtype=torch.long), t["num_nodes"].cumsum(0)]).tolist()
    edge_ptr = torch.cat([torch.zeros(1, dtype=torch.long), t["num_edges"].cumsum(0)]).tolist()
    graphs = [Data(x=t["x"][node_ptr[i]:node_ptr[i + 1]], edge_index=t["edge_index"][:, edge_ptr[i]:edge_ptr[i + 1]],
                   edge_attr=t["edge_attr"][edge_ptr[i]:edge_ptr[i + 1]], y=t["y"][i].view(1, 1),
                   num_nodes=int(t["num_nodes"][i]))
              for i in range(t["y"].numel())]
    data = GraphDataset(graphs, name="ogbg-molhiv", num_classes=2, classes=[0, 1])
    data.split = {k: t[f"split_{k}"] for k in ("train", "valid", "test")}
    return data


register(
    "ogbg-molhiv",
    load_molhiv,
    family="molhiv",
    task="graph",
    subdir="molhiv",
    files=("HIV.csv",),
    url_base=None,
    description="ogbg-molhiv rebuilt from MoleculeNet HIV.csv (41,127 molecules; scaffold split reconstructed)",
)
