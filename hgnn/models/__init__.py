"""Floor 4: ready-made networks composed of :mod:`hgnn.nn` layers."""
from hgnn.models.hgnn import HGNN
from hgnn.models.hgnnp import HGNNP
from hgnn.models.hnhn import HNHN
from hgnn.models.two_layer import TwoLayerHypergraphNet
from hgnn.models.unigcn import UniGCN

__all__ = ["HGNN", "HGNNP", "HNHN", "TwoLayerHypergraphNet", "UniGCN"]
from hgnn.models.conhd import CoNHD

__all__ += ["CoNHD"]
from hgnn.models.incidence_scorer import IncidenceScorer

__all__ += ["IncidenceScorer"]
from hgnn.models.whatsnet import WHATsNet

__all__ += ["WHATsNet"]
