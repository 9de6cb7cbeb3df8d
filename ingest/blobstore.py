"""Content-addressed storage of originals and page images.

Originals are stored once under their SHA-256 and made read-only: the pipeline
never modifies or deletes a scan. Keys are relative paths, so the store can be a
shared directory mounted at different places on different machines.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key

    def original_key(self, sha256: str, suffix: str) -> str:
        return f"originals/{sha256[:2]}/{sha256}{suffix.lower()}"

    def put_original(self, src: Path, sha256: str) -> str:
        """Copy ``src`` into the store (once) and make the copy read-only."""
        key = self.original_key(sha256, src.suffix)
        dst = self.path(key)
        if not dst.exists():
            self._atomic_copy(src, dst)
            dst.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        return key

    def put_bytes(self, key: str, data: bytes) -> str:
        dst = self.path(key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, dst)
        return key

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    @staticmethod
    def _atomic_copy(src: Path, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
