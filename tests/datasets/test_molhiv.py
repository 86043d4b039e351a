import pytest
import torch

pytest.importorskip("rdkit")
pytest.importorskip("ogb")

from hgnn import datasets  # noqa: E402
from hgnn.datasets.molhiv import load_molhiv, mol_to_graph, parse_smiles, scaffold_split  # noqa: E402

SMILES = ["CCO", "c1ccccc1O", "c1ccccc1N", "CC(=O)Oc1ccccc1C(=O)O", "C1CCCCC1C", "C1CCCCC1O", "c1ccncc1",
          "O=C1O[Al]23(OC1=O)(OC(=O)C(=O)O2)OC(=O)C(=O)O3",  # rejected by recent RDKit valence checks
          "CCN", "c1ccc2ccccc2c1", "C1CC1", "OCC(O)CO"]


def write_csv(folder, smiles, with_index):
    rows = ["index,smiles,activity,HIV_active" if with_index else "smiles,activity,HIV_active"]
    for i, s in enumerate(smiles):
        rows.append((f"{i}," if with_index else "") + f"{s},CI,{i % 2}")
    (folder / "HIV.csv").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("with_index", [True, False])
def test_small_csv_round_trip(tmp_path, with_index):
    write_csv(tmp_path, SMILES, with_index)
    data = load_molhiv(tmp_path, cache=False)
    assert len(data) == len(SMILES) and data.num_classes == 2
    ethanol = data[0]
    assert ethanol.x.shape == (3, 9) and ethanol.edge_attr.shape == (4, 3) and ethanol.y.tolist() == [[0]]
    assert torch.equal(ethanol.edge_index, torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))
    parts = data.split
    assert sorted(torch.cat(list(parts.values())).tolist()) == list(range(len(SMILES)))


def test_featurisation_matches_ogb_smiles2graph():
    from ogb.utils import smiles2graph

    for s in SMILES[:7]:
        ours, theirs = mol_to_graph(parse_smiles(s)), smiles2graph(s)
        assert ours["x"].tolist() == theirs["node_feat"].tolist()
        assert ours["edge_index"].tolist() == theirs["edge_index"].tolist()
        assert ours["edge_attr"].tolist() == theirs["edge_feat"].tolist()


def test_scaffold_split_groups_scaffolds_largest_first():
    mols = [parse_smiles(s) for s in ["c1ccccc1O", "c1ccccc1N", "c1ccccc1C", "c1ccccc1Cl", "CCO", "CCN", "C1CC1C",
                                      "c1ccncc1C", "C1CCCCC1", "C1CCCCC1O"]]
    split = scaffold_split(mols, 0.5, 0.25)
    # groups by size, then by first index, descending: benzene {0-3} -> train; cyclohexane {8, 9} does
    # not fit the 5-molecule train quota -> valid; then singletons from the highest index: {7} fits train
    assert split["train"].tolist() == [0, 1, 2, 3, 7] and split["valid"].tolist() == [8, 9]
    assert sorted(torch.cat(list(split.values())).tolist()) == list(range(10))


def test_full_dataset_matches_ogb_sizes():
    from hgnn.datasets.root import find_root

    if find_root("molhiv", ["HIV.csv"]) is None:
        pytest.skip("molhiv/HIV.csv not on disk (set HGNN_DATA)")
    data = datasets.load("ogbg-molhiv", download=False)  # builds ~/.cache/hgnn/cache/ogbg-molhiv.pt on first use (~1 min)
    assert len(data) == 41127
    assert {k: v.numel() for k, v in data.split.items()} == {"train": 32901, "valid": 4113, "test": 4113}
    assert sum(int(g.y) for g in data) == 1443
