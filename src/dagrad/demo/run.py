"""``dagrad demo``: the tutorial's story end to end, then files a learner can open."""
import os
import time

from .tutorial import CELLS, as_dagrad, run_cells

_TEXT = {
    "en": {"title": "dagrad demo", "tutorial": "Part 1: the autograd tutorial, cell by cell",
           "train": "Part 2: training on scikit-learn's handwritten digits (8x8 images, 1,797 samples)",
           "files": "Part 3: files", "out": "output"},
    "ko": {"title": "dagrad 데모", "tutorial": "1부: 자동 미분 튜토리얼 (셀 단위 실행)",
           "train": "2부: scikit-learn 손글씨 숫자 데이터 학습 (8x8 이미지, 1,797개)",
           "files": "3부: 생성된 파일", "out": "출력"},
}


def _rule(title):
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def run_tutorial(seed, lang):
    t = _TEXT[lang]
    _rule(t["tutorial"])
    outputs = run_cells("dagrad", seed=seed)
    print(f"(dagrad.manual_seed({seed}) first, so the numbers are the ones torch.manual_seed({seed}) gives)")
    for k, (cell, out) in enumerate(zip(CELLS, outputs), 1):
        print(f"\n# {cell[lang].replace(chr(10), chr(10) + '# ')}")
        print(f"In [{k}]:")
        print("\n".join("    " + line for line in as_dagrad(cell["code"]).rstrip().splitlines()))
        if out:
            print(f"{t['out']}:")
            print(out.rstrip())


def run_demo(epochs=30, seed=0, out="dagrad-demo", quiet=False, lang="en", skip_tutorial=False):
    import dagrad
    from dagrad import viz
    from . import train as T
    start = time.perf_counter()
    t = _TEXT[lang]
    print(f"{t['title']} (dagrad {dagrad.__version__})")
    if not skip_tutorial:
        run_tutorial(seed, lang)
    _rule(t["train"])
    train_set, test_set = T.load_digits()
    print(f"train {len(train_set[1])} images, test {len(test_set[1])} images")
    histories, rows, models = {}, [], {}
    for name, make, augment in (("MLP", T.make_mlp, False), ("CNN", T.make_cnn, True)):
        dagrad.manual_seed(seed)
        model = make()
        history, seconds = T.train(name, model, train_set, test_set, epochs, seed, quiet, augment=augment)
        histories[name] = history
        models[name] = model
        n_params = sum(p.numel() for p in model.parameters())
        rows.append((name, n_params, history["train_acc"][-1], history["test_acc"][-1], seconds))
        if quiet:
            print(f"{name}: test accuracy {history['test_acc'][-1]:.4f}")
    print(f"\n{'model':6s} {'parameters':>10s} {'epochs':>6s} {'train acc':>10s} {'test acc':>9s} {'seconds':>8s}")
    for name, n, tr, te, s in rows:
        print(f"{name:6s} {n:10d} {epochs:6d} {tr:10.4f} {te:9.4f} {s:8.1f}")
    _rule(t["files"])
    written = []
    for name, model in models.items():
        path = os.path.join(out, f"{name.lower()}.pt")
        dagrad.save(model.state_dict(), path)
        written.append((path, f"{name} state_dict in PyTorch's format (torch.load(..., weights_only=True) reads it)"))
    T.plot_history(histories, os.path.join(out, "training.png"))
    written.append((os.path.join(out, "training.png"), "loss and accuracy per epoch, both models"))
    mlp = models["MLP"]
    xb, yb = train_set[0][:32], train_set[1][:32]
    loss = dagrad.nn.functional.cross_entropy(mlp(xb), yb)
    viz.draw(loss, os.path.join(out, "graph.svg"), params=dict(mlp.named_parameters()))
    written.append((os.path.join(out, "graph.svg"), "the autograd graph of one MLP training step's loss"))
    cnn = models["CNN"]
    loss = dagrad.nn.functional.cross_entropy(cnn(xb), yb)
    viz.draw(loss, os.path.join(out, "graph_cnn.svg"), params=dict(cnn.named_parameters()))
    written.append((os.path.join(out, "graph_cnn.svg"), "the same for the CNN (boxes grouped by layer)"))
    for path, what in written:
        print(f"{path:32s} {what}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0
