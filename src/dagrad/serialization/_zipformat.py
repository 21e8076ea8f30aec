"""The zip container of torch.save files: a writer laid out byte for byte as torch's (miniz) writer does,
and a reader that checks what it reads.

Layout written: every record stored uncompressed under ``<archive>/``, its data aligned to 64 bytes by an
``FB`` extra field of ``Z`` padding, followed by a data descriptor; then the central directory and the
zip64 end records. Records: data.pkl, .format_version, .storage_alignment, byteorder, data/0.., version,
.data/serialization_id.
"""
import os
import random
import struct
import zipfile
import zlib

import numpy as np

ALIGNMENT = 64
_MAX32 = 0xFFFFFFFF
_ZIP64_LIMIT = _MAX32  # sizes and offsets from here on are written in zip64 extra fields
_FLAG_DESCRIPTOR = 0x0008
_FLAG_UTF8 = 0x0800

CORRUPT_NOTE = (" This is an internal miniz error. If you are seeing this error, there is a high likelihood that "
                "your checkpoint file is corrupted. This can happen if the checkpoint was not saved properly, was "
                "transferred incorrectly, or the file was modified after saving.")


def _bytes_of(data):
    """A flat, C-contiguous byte view of ``data`` (bytes, bytearray, memoryview or numpy array)."""
    if isinstance(data, np.ndarray):
        return memoryview(np.ascontiguousarray(data).reshape(-1).view(np.uint8))
    return memoryview(data).cast("B")


class ZipWriter:
    """torch's PyTorchStreamWriter: append records to a binary stream, then ``write_end_of_file()``."""

    def __init__(self, stream, archive_name="archive", alignment=ALIGNMENT):
        self._stream = stream
        self._prefix = archive_name
        self._alignment = alignment
        self._pos = 0
        self._entries = []
        self._crc_hash = 0

    def _write(self, b):
        self._stream.write(b)
        self._pos += len(b)

    def write_record(self, name, data):
        data = _bytes_of(data)
        size = data.nbytes
        full = f"{self._prefix}/{name}".encode("utf-8")
        offset = self._pos
        large = size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT
        z64 = b""
        if large:
            fields = (struct.pack("<QQ", size, size) if size >= _ZIP64_LIMIT else b"") + \
                     (struct.pack("<Q", offset) if offset >= _ZIP64_LIMIT else b"")
            z64 = struct.pack("<HH", 1, len(fields)) + fields
        # pad with an "FB" extra field so the data starts on an alignment boundary
        start = offset + 30 + len(full) + len(z64) + 4
        pad = -start % self._alignment
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = _FLAG_UTF8 | (_FLAG_DESCRIPTOR if size else 0)
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(full), len(extra)))
        self._write(full)
        self._write(extra)
        crc = zlib.crc32(data) if size else 0
        if size:
            self._write(data)
            if large:
                self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
            else:
                self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self._entries.append((full, offset, size, crc, flags))
        # the serialization id mixes all records' checksums (c10::hash_combine)
        h = self._crc_hash
        self._crc_hash = (h ^ (crc + 0x9E3779B9 + (h << 6) + (h >> 2))) & 0xFFFFFFFFFFFFFFFF

    def write_end_of_file(self):
        self.write_record("version", b"3\n")
        serialization_id = f"{random.getrandbits(64):020d}{self._crc_hash:020d}"
        self.write_record(".data/serialization_id", serialization_id.encode("ascii"))
        cd_offset = self._pos
        for full, offset, size, crc, flags in self._entries:
            z64 = b""
            s32, off32 = size, offset
            if size >= _ZIP64_LIMIT:
                z64 += struct.pack("<QQ", size, size)
                s32 = _MAX32
            if offset >= _ZIP64_LIMIT:
                z64 += struct.pack("<Q", offset)
                off32 = _MAX32
            extra = struct.pack("<HH", 1, len(z64)) + z64 if z64 else b""
            needed = 45 if z64 else 0
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, needed, flags, 0, 0, 0, crc, s32, s32,
                                    len(full), len(extra), 0, 0, 0, 0, off32))
            self._write(full)
            self._write(extra)
        cd_size = self._pos - cd_offset
        n = len(self._entries)
        eocd64_offset = self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_offset))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, _MAX32), min(cd_offset, _MAX32), 0))


def archive_name_for(path):
    """The record prefix torch uses for a file: its base name without the last extension."""
    base = os.path.basename(os.fspath(path).replace("\\", "/"))
    stem = base.rsplit(".", 1)[0] if "." in base else base
    try:
        stem.encode("ascii")
    except UnicodeEncodeError:
        return "archive"  # torch writes non-ascii names through a Python stream, as "archive"
    return stem or "archive"


class ZipReader:
    """torch's PyTorchStreamReader over a seekable binary stream (optionally memory-mapped from a path)."""

    def __init__(self, stream, mapped=None):
        self._stream = stream
        self._mapped = mapped
        try:
            self._zip = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, struct.error,
                NotImplementedError) as e:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central directory."
                               + CORRUPT_NOTE) from e
        infos = self._zip.infolist()
        if not infos:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: the archive holds no records."
                               + CORRUPT_NOTE)
        first = infos[0].filename
        if "/" not in first:
            raise RuntimeError(f"file in archive is not in a subdirectory: {first}")
        self.archive_name = first.split("/", 1)[0]
        prefix = self.archive_name + "/"
        self._records = {i.filename[len(prefix):]: i for i in infos if i.filename.startswith(prefix)}
        stream.seek(0, os.SEEK_END)
        self._size = stream.tell()

    def has_record(self, name):
        return name in self._records

    def records(self):
        return list(self._records)

    def _info(self, name):
        info = self._records.get(name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found." + CORRUPT_NOTE)
        return info

    def get_record(self, name):
        """A small record's bytes (read through zipfile, which checks its CRC)."""
        info = self._info(name)
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as e:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed."
                               + CORRUPT_NOTE) from e

    def _data_offset(self, name, info):
        if not 0 <= info.header_offset < self._size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: bad local header." + CORRUPT_NOTE)
        self._stream.seek(info.header_offset)
        header = self._stream.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: bad local header." + CORRUPT_NOTE)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        offset = info.header_offset + 30 + name_len + extra_len
        if offset + info.file_size > self._size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed "
                               f"(the record runs past the end of the file)." + CORRUPT_NOTE)
        return offset

    def read_storage(self, name):
        """A storage record as a writable 1-D uint8 array (a private map of the file when mapped)."""
        info = self._info(name)
        size = info.file_size
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            return np.frombuffer(bytearray(self.get_record(name)), dtype=np.uint8)
        offset = self._data_offset(name, info)
        if self._mapped is not None:
            return self._mapped[offset:offset + size]
        out = np.empty(size, dtype=np.uint8)
        self._stream.seek(offset)
        view = memoryview(out)
        got = 0
        while got < size:
            n = self._stream.readinto(view[got:])
            if not n:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: file read failed."
                                   + CORRUPT_NOTE)
            got += n
        # torch's writer may skip checksums (then it stores 0); check whenever one was written
        if info.CRC and zlib.crc32(view) != info.CRC:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: CRC-32 check failed; the "
                               "record's data does not match its checksum." + CORRUPT_NOTE)
        return out
