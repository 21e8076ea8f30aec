"""dagrad.viz: DOT text, tree text and picture files for the tutorial's loss."""
import re

import pytest

import dagrad as torch
import dagrad.nn.functional as F
from dagrad import viz


def tutorial_loss():
    torch.manual_seed(0)
    x, y = torch.ones(4), torch.zeros(3)
    W, b = torch.rand(4, 3, requires_grad=True), torch.rand(3, requires_grad=True)
    return F.mse_loss(torch.matmul(x, W) + b, y), {"W": W, "b": b}


def _dot_graph(src):
    labels = dict(re.findall(r'\t(\w+) \[label="([^"\\]*)', src))
    edges = set(re.findall(r"\t(\w+) -> (\w+)", src))
    return labels, {(labels[a], labels[b]) for a, b in edges}


def test_to_dot_tutorial_loss_nodes_and_edges():
    loss, params = tutorial_loss()
    src = viz.to_dot(loss, params=params)
    assert src.startswith("digraph {") and src.rstrip().endswith("}")
    labels, edges = _dot_graph(src)
    assert sorted(labels.values()) == sorted(["output", "MseLossBackward0", "AddBackward0", "SqueezeBackward4", "W", "b"])
    # arrows run from inputs to results, as in torchviz
    assert edges == {("MseLossBackward0", "output"), ("AddBackward0", "MseLossBackward0"),
                     ("SqueezeBackward4", "AddBackward0"), ("b", "AddBackward0"), ("W", "SqueezeBackward4")}
    assert '(4, 3) float32' in src and '(3,) float32' in src


def test_to_dot_unnamed_leaves_and_saved_sizes():
    x = torch.ones(2, 3, requires_grad=True)
    y = (x * x).sum()
    src = viz.to_dot(y, show_saved=True)
    assert "leaf" in src and "MulBackward0" in src and "saved: (2, 3), (2, 3)" in src


def test_tree_text():
    loss, params = tutorial_loss()
    assert viz.tree(loss, params) == (
        "output  () float32\n"
        "└── MseLossBackward0  () float32\n"
        "    └── AddBackward0  (3,) float32\n"
        "        ├── SqueezeBackward4  (3,) float32\n"
        "        │   └── W  (4, 3) float32\n"
        "        └── b  (3,) float32")


def test_shared_nodes_drawn_once():
    x = torch.ones(3, requires_grad=True)
    h = x.exp()
    y = (h * h + h).sum()
    text = viz.tree(y, {"x": x})
    assert text.count("ExpBackward0") == 3 and "(shared, see above)" in text
    assert text.count("└── x") + text.count("├── x") == 1


def test_svg_and_png_files(tmp_path):
    loss, params = tutorial_loss()
    svg = tmp_path / "g.svg"
    viz.draw(loss, svg, params=params)
    text = svg.read_text()
    assert text.startswith("<svg") and "MseLossBackward0" in text and text.count("<rect") >= 7
    import xml.dom.minidom
    xml.dom.minidom.parseString(text)  # well-formed XML
    pytest.importorskip("matplotlib")
    png = tmp_path / "g.png"
    viz.draw(loss, png, params=params)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_jupyter_display_and_errors(tmp_path):
    loss, params = tutorial_loss()
    g = viz.make_dot(loss, params=params)
    assert g._repr_svg_().startswith("<svg") and str(g) == viz.to_dot(loss, params=params)
    with pytest.raises(ValueError, match="unsupported file type"):
        viz.draw(loss, tmp_path / "g.pdf")


def test_module_clusters():
    pytest.importorskip("dagrad.nn.modules.linear")
    from dagrad import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    loss = model(torch.ones(3, 4)).sum()
    src = viz.to_dot(loss, params=dict(model.named_parameters()))
    assert 'label="0" style=dashed' in src and 'label="2" style=dashed' in src
    labels, edges = _dot_graph(src)
    assert ("0.weight", "TBackward0") in edges and ("0.bias", "AddmmBackward0") in edges
