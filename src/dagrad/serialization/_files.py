"""Where checkpoints go: paths written atomically (temporary file, fsync, rename), or caller's file objects."""
import contextlib
import io
import os
import secrets
import stat


def is_path(f):
    return isinstance(f, (str, os.PathLike))


@contextlib.contextmanager
def atomic_write(path):
    """Yield a binary stream whose bytes replace ``path`` only once complete and on disk.

    The data go to a temporary file beside the target, are flushed and fsync'ed, and the file is
    renamed over the target (``os.replace`` is atomic), so a crash mid-save leaves the old file intact.
    On any error the temporary file is removed.
    """
    path = os.fspath(path)
    if os.path.islink(path):
        path = os.path.realpath(path)  # write through a symlink, as opening the path would
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or directory} does not exist.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"[Errno 21] Is a directory: '{path}'")
    while True:
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with io.open(fd, "wb", buffering=1 << 20) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if os.path.exists(path):
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    # make the rename itself durable (POSIX); not possible or needed on Windows
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_writable(f):
    if not callable(getattr(f, "write", None)):
        msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
        if not hasattr(f, "write"):
            raise AttributeError(msg)
        raise TypeError(msg)


@contextlib.contextmanager
def open_for_read(f):
    """Yield a seekable binary stream positioned where the checkpoint starts."""
    if is_path(f):
        with open(f, "rb") as stream:
            yield stream
        return
    if not callable(getattr(f, "read", None)):
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'read'")
    seekable = getattr(f, "seekable", None)
    if callable(seekable) and seekable() and callable(getattr(f, "tell", None)):
        start = f.tell()
        if start == 0:
            yield f
            return
        # a checkpoint that starts mid-stream: hand the reader its bytes from here on
        yield io.BytesIO(f.read())
        return
    yield io.BytesIO(f.read())
