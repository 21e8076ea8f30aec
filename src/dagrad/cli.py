"""The ``dagrad`` command: ``demo``, ``graph SCRIPT.py``, ``run SCRIPT.py``, ``--version``."""
import argparse
import os
import runpy
import sys

from . import __version__


class _Fail(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".dagrad-write-test")
        with open(probe, "w") as f:
            f.write("")
        os.remove(probe)
    except OSError as e:
        raise _Fail(f"cannot write to output folder '{path}': {e.strerror or e}") from None
    return path


def _cmd_demo(args):
    from .demo.run import run_demo
    _writable_dir(args.out)
    return run_demo(epochs=args.epochs, seed=args.seed, out=args.out, quiet=args.quiet, lang=args.lang,
                    skip_tutorial=args.skip_tutorial)


def _exec_script(path, argv):
    if not os.path.isfile(path):
        raise _Fail(f"no such script: '{path}'")
    from ._torch_alias import install
    install()
    old_argv = sys.argv
    sys.argv = [path] + list(argv)
    try:
        return runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = old_argv


def _cmd_run(args):
    _exec_script(args.script, args.script_args)
    return 0


def _cmd_graph(args):
    from . import Tensor, viz
    ns = _exec_script(args.script, args.script_args)
    if args.var:
        if args.var not in ns:
            raise _Fail(f"the script defines no variable '{args.var}'")
        target = ns[args.var]
    else:
        found = [v for v in ns.values() if isinstance(v, Tensor) and v.grad_fn is not None]
        if "loss" in ns and isinstance(ns["loss"], Tensor):
            found.append(ns["loss"])
        if not found:
            raise _Fail("the script leaves no tensor with a graph (name one with --var)")
        target = found[-1]
    if not isinstance(target, Tensor) or target.grad_fn is None:
        raise _Fail(f"'{args.var}' is not a tensor with a grad_fn")
    params = {k: v for k, v in ns.items() if isinstance(v, Tensor) and v.is_leaf and v.requires_grad}
    if args.tree:
        print(viz.tree(target, params))
    if args.out:
        _writable_dir(os.path.dirname(os.path.abspath(args.out)))
        viz.draw(target, args.out, params)
        print(f"wrote {args.out}")
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="dagrad", description="dagrad: PyTorch's autograd and training stack on NumPy.")
    p.add_argument("--version", action="version", version=f"dagrad {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser("demo", help="run the autograd tutorial, train two digit classifiers, write pictures",
                       description="Run the tutorial's cells, train an MLP and a CNN on scikit-learn's digits, and "
                                   "write checkpoints, training.png and graph.svg into --out.")
    d.add_argument("--epochs", type=int, default=30, help="training epochs per model (default 30)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--out", default="dagrad-demo", help="output folder (default ./dagrad-demo/)")
    d.add_argument("--quiet", action="store_true", help="no progress bars, only the results")
    d.add_argument("--lang", choices=("ko", "en"), default="en", help="language of the tutorial's narration")
    d.add_argument("--skip-tutorial", action="store_true", help="only train and write the files")
    d.set_defaults(func=_cmd_demo)
    g = sub.add_parser("graph", help="run a PyTorch/dagrad script and draw the graph behind a tensor",
                       description="Run SCRIPT.py with 'import torch' mapped to dagrad, then picture the autograd "
                                   "graph behind a tensor it leaves (--var, default: 'loss' or the last one).")
    g.add_argument("script")
    g.add_argument("script_args", nargs="*", help="arguments for the script (after --)")
    g.add_argument("--var", help="name of the tensor to draw")
    g.add_argument("--out", default="graph.svg", help="picture to write (.svg or .png; default graph.svg)")
    g.add_argument("--tree", action="store_true", help="also print the graph as a text tree")
    g.set_defaults(func=_cmd_graph)
    r = sub.add_parser("run", help="run a PyTorch script on dagrad ('import torch' gives dagrad)",
                       description="Run SCRIPT.py with 'import torch' mapped to dagrad.")
    r.add_argument("script")
    r.add_argument("script_args", nargs=argparse.REMAINDER)
    r.set_defaults(func=_cmd_run)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return args.func(args) or 0
    except _Fail as e:
        print(f"dagrad: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dagrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
