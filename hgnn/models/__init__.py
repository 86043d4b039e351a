"""Floor 4: ready-made networks composed of :mod:`hgnn.nn` layers."""
from hgnn.models.attention import HypergraphAttentionNet
from hgnn.models.allset import AllDeepSets, AllSetTransformer
from hgnn.models.conhd import CoNHD
from hgnn.models.edhnn import EDHNN
from hgnn.models.ehgnn import EHGNN
from hgnn.models.edge_autoencoder import HyperClusterAutoencoder, NodeClusterAutoencoder
from hgnn.models.graph_baselines import GraphClassifier
from hgnn.models.hgnn import HGNN
from hgnn.models.hgnnp import HGNNP
from hgnn.models.hnhn import HNHN
from hgnn.models.hypergcn import HyperGCN
from hgnn.models.hyperdrop_net import HyperDropMolNet, HyperDropNet
from hgnn.models.hyperdrop_node import HyperDropNodeNet
from hgnn.models.incidence_scorer import IncidenceScorer
from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.models.unigat import UniGAT
from hgnn.models.unigcn import UniGCN
from hgnn.models.unignn import UniGIN, UniSAGE
from hgnn.models.whatsnet import WHATsNet

__all__ = ["AllDeepSets", "AllSetTransformer", "CoNHD", "EDHNN", "EHGNN", "GraphClassifier", "HGNN", "HGNNP", "HNHN", "HyperGCN", "HyperClusterAutoencoder", "HyperDropMolNet", "HyperDropNet", "HyperDropNodeNet", "HypergraphAttentionNet", "IncidenceScorer", "NodeClusterAutoencoder", "TwoLayerHypergraphNet", "UniGAT", "UniGCN", "UniGIN", "UniSAGE",
           "WHATsNet"]
