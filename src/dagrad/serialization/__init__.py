"""dagrad.save / dagrad.load in PyTorch's own file format (torch.save / torch.load), and safetensors files.

Files are interchangeable with torch: ``torch.load`` reads what ``dagrad.save`` writes and the reverse.
Loading is weights-only by default: the pickle inside is run by an interpreter that can build containers,
numbers, strings and tensors, and refuses every other global (see ``_unpickler.py``).
"""
import io
import os
import pickle
import sys

from . import _files
from ._allowlist import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: F401
from ._allowlist import get_unsafe_globals_in_checkpoint as _unsafe_globals
from ._pickler import TorchPickler
from ._storage import StorageLoader, StorageTable, warn_widened
from ._unpickler import FullUnpickler, WeightsUnpickler
from ._zipformat import ZipReader, ZipWriter, archive_name_for
from .safetensors import SafetensorError, load_file, save_file  # noqa: F401

__all__ = ["save", "load"]

DEFAULT_PROTOCOL = 2

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source."
)
DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """torch.save: write ``obj`` to ``f`` (a path or a binary file object) in torch's zip format.

    A path is written atomically: a crash mid-save leaves any previous file intact. ``pickle_module`` is
    accepted for compatibility; dagrad always pickles with Python's ``pickle`` (torch's default).
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("dagrad.save writes only the zip-based format torch.save has used since "
                                  "PyTorch 1.6; _use_new_zipfile_serialization=False (the legacy format) is not "
                                  "supported")
    if not _files.is_path(f):
        _files.check_writable(f)
    storages = StorageTable()
    data = io.BytesIO()
    TorchPickler(data, pickle_protocol, storages).dump(obj)
    if _files.is_path(f):
        with _files.atomic_write(f) as stream:
            _write_archive(stream, archive_name_for(f), data, storages, _disable_byteorder_record)
    else:
        _write_archive(f, "archive", data, storages, _disable_byteorder_record)
        if callable(getattr(f, "flush", None)):
            f.flush()


def _write_archive(stream, archive_name, data, storages, disable_byteorder):
    writer = ZipWriter(stream, archive_name)
    writer.write_record("data.pkl", data.getbuffer())
    # .format_version 1: storages are numbered, not sorted by name; .storage_alignment: records are aligned
    writer.write_record(".format_version", b"1")
    writer.write_record(".storage_alignment", b"64")
    if not disable_byteorder:
        writer.write_record("byteorder", sys.byteorder.encode("ascii"))
    for entry in storages.entries:
        writer.write_record(f"data/{entry.key}", entry.flat)
    writer.write_end_of_file()


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """torch.load: read an object saved by torch.save or dagrad.save; tensors come back as dagrad tensors.

    ``weights_only=True`` (the default) runs the pickle with dagrad's restricted interpreter: only
    containers, numbers, strings, tensors, dtypes and globals added with ``add_safe_globals`` can appear.
    ``weights_only=False`` uses Python's full unpickler, which can run ANY code the file names: use it
    only for files you trust. All tensors load onto the CPU; ``mmap=True`` maps storages from the file
    (copy-on-write) instead of reading them.
    """
    if weights_only is None:
        weights_only = True
    if pickle_module is not None and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    pickle_load_args.setdefault("encoding", "utf-8")
    restore = _restore_location(map_location)
    with _files.open_for_read(f) as stream:
        _check_format(stream, f)
        mapped = None
        if mmap:
            if not _files.is_path(f):
                raise ValueError("f must be a file path in order to use the mmap argument")
            import numpy as np
            mapped = np.memmap(os.fspath(f), dtype=np.uint8, mode="c") if os.path.getsize(f) else None
            mapped = mapped.view(np.ndarray) if mapped is not None else None
        reader = ZipReader(stream, mapped)
        if reader.has_record("constants.pkl"):
            raise RuntimeError("dagrad.load cannot read TorchScript archives (written by torch.jit.save); "
                               "save the model's state_dict with torch.save instead")
        if not (reader.has_record("version") or reader.has_record(".data/version")):
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  (Could this error '
                               'message be improved?  If so, please report an enhancement request to PyTorch.)')
        byteorder = "little"
        if reader.has_record("byteorder"):
            byteorder = reader.get_record("byteorder").decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise ValueError("Unknown endianness type: " + byteorder)
        loader = StorageLoader(reader, restore, byteorder)
        data = reader.get_record("data.pkl")
        if weights_only:
            try:
                result = WeightsUnpickler(data, loader, encoding=pickle_load_args["encoding"]).load()
            except pickle.UnpicklingError as e:
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
        else:
            unpickler_cls = FullUnpickler
            if pickle_module is not None and pickle_module is not pickle:
                class unpickler_cls(FullUnpickler, pickle_module.Unpickler):  # noqa: N801
                    pass
            result = unpickler_cls(io.BytesIO(data), loader, **pickle_load_args).load()
        if loader.widened:
            warn_widened()
        return result


def _check_format(stream, f):
    """Tell the zip format from the legacy and TorchScript-less formats dagrad does not read."""
    start = stream.tell()
    head = stream.read(512)
    stream.seek(start)
    if not head:
        raise EOFError("Ran out of input")
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return
    if len(head) >= 262 and head[257:262] == b"ustar":
        kind = "the tar-based format of PyTorch before 0.4"
    elif head[:1] == b"\x80":
        kind = "the legacy (non-zip) format"
    else:
        raise pickle.UnpicklingError(f"invalid load key, {chr(head[0])!r}.")
    raise RuntimeError(f"dagrad.load cannot read {kind}: only the zip-based format torch.save has written since "
                       "PyTorch 1.6 is supported. Load the file with torch.load and save it again with torch.save "
                       "to convert it.")


def _weights_only_message(message):
    """torch.load's wrapping of a weights-only unpickler error."""
    if "was not an allowed global by default." in message:
        updated = ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                   "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                   f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                   "the recommended steps in the following error message.\n\tWeightsUnpickler error: " + message)
    else:
        updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
        if "is blocked" not in message:
            updated += ("Please file an issue with the following so that we can make `weights_only=True` "
                        "compatible with your use case: WeightsUnpickler error: ")
        updated += "\n\n" + message
    return updated + DOCS_MESSAGE


def _restore_location(map_location):
    """torch's map_location, on a CPU-only library: every storage lands on the CPU; asking for more fails."""
    from .._tensor import device

    def check(loc):
        if loc is None:
            return
        name = str(loc)
        if device(name).type != "cpu":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you "
                "are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') "
                "to map your storages to the CPU." if device(name).type == "cuda" else
                f"dagrad runs on the CPU: cannot map storages to device '{name}'")

    if map_location is None:
        return lambda storage, location: storage
    if isinstance(map_location, dict):
        def restore(storage, location):
            check(map_location.get(location))
            return storage
        return restore
    if callable(map_location) and not isinstance(map_location, (str, device)):
        def restore(storage, location):
            result = map_location(storage, location)
            return storage if result is None else result
        return restore
    check(map_location)
    return lambda storage, location: storage


def get_unsafe_globals_in_checkpoint(f):
    """torch.serialization.get_unsafe_globals_in_checkpoint: globals a weights-only load would refuse."""
    with _files.open_for_read(f) as stream:
        _check_format(stream, f)
        return _unsafe_globals(ZipReader(stream).get_record("data.pkl"))
