"""Writing a batch package to disk, all or nothing.

Files go to a hidden ``.partial-<batch>`` folder first; the manifest (sha256 and
size of every other file) is written last and the folder is renamed into place
in one step, so a crash never leaves a package that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n


def file_entries(root: Path) -> list[dict[str, Any]]:
    """Every file under ``root`` except the manifest, sorted by path."""
    return [{"path": p.relative_to(root).as_posix(), "sha256": sha256_of(p),
             "bytes": p.stat().st_size}
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() != MANIFEST]


def write_manifest(root: Path, batch_id: str, records: int, extra: dict[str, Any]) -> Path:
    manifest = {"batch": batch_id, "records": records, **extra, "files": file_entries(root)}
    path = root / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def verify_manifest(root: Path) -> list[str]:
    """What is wrong with a package (missing, changed or unlisted files); empty when sound."""
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    problems = []
    listed = {e["path"] for e in manifest["files"]}
    for e in manifest["files"]:
        p = root / e["path"]
        if not p.is_file():
            problems.append(f"{e['path']}: missing")
        elif p.stat().st_size != e["bytes"] or sha256_of(p) != e["sha256"]:
            problems.append(f"{e['path']}: checksum or size differs")
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems


def staging_dir(out: Path, batch_id: str) -> Path:
    stage = out / f".partial-{batch_id}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    return stage


def publish(stage: Path, final: Path) -> None:
    """Move the finished package into place (replacing an unrecorded earlier attempt)."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(stage, final)
