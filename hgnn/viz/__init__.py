"""Floor 3: pictures of hypergraphs (matplotlib, imported when drawing)."""
from hgnn.viz.drawing import STYLES, draw, layout

__all__ = ["STYLES", "draw", "layout"]
