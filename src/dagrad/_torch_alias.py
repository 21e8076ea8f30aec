"""Let unmodified PyTorch scripts import dagrad: ``import torch`` / ``torch.nn`` resolve to dagrad's modules."""
import importlib
import importlib.abc
import importlib.util
import sys


class _TorchAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            target_name = "dagrad" + fullname[len("torch"):]
            if importlib.util.find_spec(target_name) is None:
                return None
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("dagrad" + spec.name[len("torch"):])
        sys.modules[spec.name] = module
        return module

    def exec_module(self, module):
        pass


def install():
    """Map ``torch`` to dagrad for the rest of this process (used by ``dagrad run`` and ``dagrad graph``)."""
    if not any(isinstance(f, _TorchAlias) for f in sys.meta_path):
        for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
            del sys.modules[name]
        sys.meta_path.insert(0, _TorchAlias())
