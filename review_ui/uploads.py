"""Browser uploads: stream each file to a temporary file in 1 MiB chunks, then ingest.

Starlette already spools multipart files above 1 MiB to disk; here each one is
copied under its original base name (the ingest records ``path.name`` as the
file's name, which the export contract promises to keep) in its own temporary
folder, so two uploads with one name cannot collide.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
_BAD = re.compile(r"[\x00-\x1f/\\]")


def safe_name(name: str | None) -> str:
    """The base name the user's browser sent, without any path or control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _BAD.sub("_", base).strip().lstrip(".")
    return base[:200] or "upload"


@contextmanager
def spooled_to_disk(root: Path, name: str | None, stream: BinaryIO) -> Iterator[Path]:
    """A file ``<tmp>/<name>`` with the stream's bytes; removed afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=root, prefix="up-"))
    path = folder / safe_name(name)
    try:
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, CHUNK)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
