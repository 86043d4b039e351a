"""Floor 4: ready-made networks composed of :mod:`hgnn.nn` layers."""
from hgnn.models.conhd import CoNHD
from hgnn.models.ehgnn import EHGNN
from hgnn.models.edge_autoencoder import HyperClusterAutoencoder, NodeClusterAutoencoder
from hgnn.models.graph_baselines import GraphClassifier
from hgnn.models.hgnn import HGNN
from hgnn.models.hgnnp import HGNNP
from hgnn.models.hnhn import HNHN
from hgnn.models.hyperdrop_net import HyperDropMolNet, HyperDropNet
from hgnn.models.hyperdrop_node import HyperDropNodeNet
from hgnn.models.incidence_scorer import IncidenceScorer
from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.models.unigcn import UniGCN
from hgnn.models.whatsnet import WHATsNet

__all__ = ["CoNHD", "EHGNN", "GraphClassifier", "HGNN", "HGNNP", "HNHN", "HyperClusterAutoencoder", "HyperDropMolNet", "HyperDropNet", "HyperDropNodeNet", "IncidenceScorer", "NodeClusterAutoencoder", "TwoLayerHypergraphNet", "UniGCN",
           "WHATsNet"]
