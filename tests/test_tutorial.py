"""The seed tutorial, cell by cell: dagrad prints exactly what torch prints for the same seed."""
import pytest

from dagrad.demo.tutorial import CELLS, run_cells


def test_cells_run_and_print_the_tutorial_shapes():
    out = run_cells("dagrad", seed=0)
    assert out[0] == ""
    assert out[1] == "tensor([-1.]) tensor([1.])\n"
    assert "requires_grad=True" in out[2] and "grad_fn=<AddBackward0>" in out[2]
    assert "grad_fn=<MseLossBackward0>" in out[3]
    last = out[4].strip().splitlines()
    assert last[-1].split()[0] == str(len(last))
    assert float(last[-1].split("tensor(")[1].split(",")[0]) < 0.1


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2024, 123456789])
def test_tutorial_prints_what_torch_prints(seed):
    pytest.importorskip("torch")
    assert run_cells("dagrad", seed=seed) == run_cells("torch", seed=seed)


def test_gradients_match_the_tutorials_formula():
    import dagrad
    ns = {}
    run_cells("dagrad", seed=3, namespace=ns)
    # every row of W.grad equals b.grad = 2 (z - y) / 3 after cell 4 (re-run cells 3-4 to inspect)
    ns2 = {}
    dagrad.manual_seed(3)
    for cell in CELLS[:4]:
        from dagrad.demo.tutorial import as_dagrad
        exec(as_dagrad(cell["code"]), ns2)
    W, b, z, y = ns2["W"], ns2["b"], ns2["z"], ns2["y"]
    expected = (2 * (z - y) / 3).detach()
    assert dagrad.allclose(b.grad, expected)
    for row in W.grad:
        assert dagrad.equal(row, b.grad)
