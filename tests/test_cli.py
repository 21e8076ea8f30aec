"""The dagrad command: demo end to end (small), graph/run on a PyTorch script, clear one-line errors."""
import os
import subprocess
import sys
import xml.dom.minidom

import numpy as np
import pytest

import dagrad

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


def run_cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    return subprocess.run([sys.executable, "-m", "dagrad", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    proc = run_cli("demo", "--epochs", "2", "--out", str(out), "--quiet")
    return proc, out


def test_demo_exit_status_and_report(demo_out):
    proc, out = demo_out
    assert proc.returncode == 0, proc.stderr
    assert "tensor([-1.]) tensor([1.])" in proc.stdout            # the tutorial's cell 2
    assert "grad_fn=<MseLossBackward0>" in proc.stdout
    assert "MLP" in proc.stdout and "CNN" in proc.stdout and "test acc" in proc.stdout


def test_demo_pictures_are_valid_images(demo_out):
    _, out = demo_out
    png = (out / "training.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 800 and height >= 300
    for name in ("graph.svg", "graph_cnn.svg"):
        svg = (out / name).read_text()
        doc = xml.dom.minidom.parseString(svg)
        assert doc.documentElement.tagName == "svg" and len(svg) > 3000
        assert "NllLossBackward0" in svg and "AddmmBackward0" in svg
    assert "ConvolutionBackward0" in (out / "graph_cnn.svg").read_text()


def test_demo_checkpoints_load_back(demo_out):
    _, out = demo_out
    from dagrad.demo.train import make_cnn, make_mlp
    for name, make in (("mlp", make_mlp), ("cnn", make_cnn)):
        state = dagrad.load(out / f"{name}.pt")
        model = make()
        model.load_state_dict(state)
        for k, v in model.state_dict().items():
            assert np.array_equal(v.numpy(), state[k].numpy())
        torch = pytest.importorskip("torch")
        tstate = torch.load(out / f"{name}.pt", weights_only=True)
        assert list(tstate) == list(state)
        for k in state:
            assert np.array_equal(tstate[k].numpy(), state[k].numpy())


def test_demo_korean_narration(tmp_path):
    from dagrad.demo.run import run_tutorial
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        run_tutorial(0, "ko")
    assert "자동 미분" in buf.getvalue() and "tensor([-1.]) tensor([1.])" in buf.getvalue()


def test_version_and_help():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"dagrad {dagrad.__version__}"
    for sub in ("demo", "graph", "run"):
        proc = run_cli(sub, "--help")
        assert proc.returncode == 0 and "usage: dagrad " + sub in proc.stdout


def test_errors_are_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run_cli("demo", "--out", str(blocker / "sub"), "--epochs", "1")
    assert proc.returncode == 2
    assert proc.stderr.startswith("dagrad: error: cannot write to output folder") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("demo", "--epochs", "many")
    assert proc.returncode == 2 and "invalid int value: 'many'" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("graph", str(tmp_path / "missing.py"))
    assert proc.returncode == 2 and proc.stderr.strip() == f"dagrad: error: no such script: '{tmp_path / 'missing.py'}'"


SCRIPT = """
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.ones(4)
y = torch.zeros(3)
W = torch.rand(4, 3, requires_grad=True)
b = torch.rand(3, requires_grad=True)
loss = F.mse_loss(torch.matmul(x, W) + b, y)
print(loss)
"""


def test_run_and_graph_on_a_pytorch_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    proc = run_cli("run", str(script))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "tensor(4.2847, grad_fn=<MseLossBackward0>)\n"
    proc = run_cli("graph", str(script), "--out", str(tmp_path / "g.svg"), "--tree")
    assert proc.returncode == 0, proc.stderr
    assert "└── MseLossBackward0" in proc.stdout and "│   └── W  (4, 3) float32" in proc.stdout
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
