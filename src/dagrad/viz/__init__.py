"""dagrad.viz: pictures of the autograd graph (DOT text, SVG/PNG files, Jupyter display, terminal tree)."""
import os
import shutil
import subprocess

from ._render import to_dot_source, to_png, to_svg, to_tree
from ._walk import walk

__all__ = ["to_dot", "make_dot", "draw", "tree", "Graph"]


def _params_dict(params):
    if params is None:
        return None
    if hasattr(params, "named_parameters"):
        return dict(params.named_parameters())
    return dict(params)


class Graph:
    """The graph behind a tensor; shows itself as SVG in Jupyter and as DOT source when printed."""

    def __init__(self, tensor, params=None, show_saved=False):
        self.nodes, self.edges = walk(tensor, _params_dict(params), show_saved)

    @property
    def source(self):
        return to_dot_source(self.nodes, self.edges)

    def __str__(self):
        return self.source

    def _repr_svg_(self):
        return to_svg(self.nodes, self.edges)

    def svg(self):
        return to_svg(self.nodes, self.edges)

    def tree(self):
        return to_tree(self.nodes, self.edges)

    def save(self, path, engine="auto"):
        """Write SVG or PNG (by extension); use the Graphviz program when installed and engine allows."""
        ext = os.path.splitext(str(path))[1].lower().lstrip(".")
        if ext not in ("svg", "png"):
            raise ValueError(f"draw: unsupported file type '.{ext}' (use .svg or .png)")
        dot = shutil.which("dot") if engine in ("auto", "graphviz") else None
        if engine == "graphviz" and dot is None:
            raise RuntimeError("draw: engine='graphviz' but the Graphviz 'dot' program is not installed")
        if dot is not None:
            subprocess.run([dot, f"-T{ext}", "-o", str(path)], input=self.source.encode(), check=True)
        elif ext == "svg":
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.svg())
        else:
            to_png(self.nodes, self.edges, str(path))
        return str(path)

    render = save


def to_dot(tensor, params=None, show_saved=False):
    """Graphviz DOT text of the graph behind ``tensor`` (leaves named from ``params``, as torchviz does)."""
    return Graph(tensor, params, show_saved).source


def make_dot(tensor, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """torchviz.make_dot's counterpart: a Graph object (SVG in Jupyter, ``.save(path)``, DOT via ``str``)."""
    return Graph(tensor, params, show_saved or show_attrs)


def draw(tensor, path, params=None, show_saved=False, engine="auto"):
    """Write a picture of the graph behind ``tensor`` to ``path`` (.svg or .png)."""
    return Graph(tensor, params, show_saved).save(path, engine)


def tree(tensor, params=None):
    """A text picture for terminals: ``print(dagrad.viz.tree(loss))``."""
    return Graph(tensor, params).tree()
