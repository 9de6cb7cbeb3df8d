"""`dangan export --batch` on a book run through the real pipeline (ingest → OCR → records).

One generated 20-page book is processed once per module (~1-3 min); every test
reads the batch package that one export wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from national.archive import alto_schema
from national.package import MANIFEST, sha256_of, verify_manifest
from national.validation import export_problems
from records.contract import contract_errors

pytestmark = [pytest.mark.slow]
DANGAN = [sys.executable, "-m", "dangan.cli"]


def dangan(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([*DANGAN, "--home", str(home), *args], capture_output=True, text=True,
                         timeout=900)
    assert res.returncode == 0, f"dangan {' '.join(args)}: {res.stdout}\n{res.stderr}"
    return res


@dataclass
class Exported:
    home: Path
    out: Path
    package: Path
    first_run: str


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    from dangan.samplegen import generate_demo_book

    base = tmp_path_factory.mktemp("national")
    gen = generate_demo_book(base / "sample")
    home = base / "home"
    dangan(home, "ingest", str(gen.files[0]), "--years", "1972", "--kind", "marriage",
           "--archive-ref", "J072-1972-003")
    dangan(home, "process", "--quiet")
    out = base / "batches"
    res = dangan(home, "export", "--batch", "--out", str(out))
    packages = [p for p in out.iterdir() if p.is_dir() and p.name.startswith("NB-")]
    assert len(packages) == 1, res.stdout
    return Exported(home, out, packages[0], res.stdout)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_batch_records_validate(exported: Exported) -> None:
    records = read_jsonl(exported.package / "records.jsonl")
    assert records, exported.first_run
    for rec in records:
        assert contract_errors(rec) == []
        assert export_problems(rec) == ()
        assert rec["status"] in ("approved", "auto_accepted")
    national = read_jsonl(exported.package / "national.jsonl")
    assert [n["id"] for n in national] == [r["id"] for r in records]
    for n in national:
        assert n["mapping_version"] == "v1"
        for item in n["items"]:
            assert item["state"] in ("recorded", "not_recorded", "illegible", "derived")
            if item["state"] != "recorded" and item["state"] != "derived":
                assert item["value"] is None  # never a placeholder zero
        eth = [i for i in n["items"] if i["item"] == "NF_MZ" and i["state"] == "recorded"]
        assert all(len(i["code"]) == 2 for i in eth)


def test_manifest_checksums_verify(exported: Exported) -> None:
    manifest = json.loads((exported.package / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["batch"] == exported.package.name
    assert manifest["records"] == len(read_jsonl(exported.package / "records.jsonl"))
    on_disk = {p.relative_to(exported.package).as_posix() for p in exported.package.rglob("*")
               if p.is_file()} - {MANIFEST}
    assert {f["path"] for f in manifest["files"]} == on_disk
    for f in manifest["files"]:
        assert sha256_of(exported.package / f["path"]) == f["sha256"]
        assert (exported.package / f["path"]).stat().st_size == f["bytes"]
    assert verify_manifest(exported.package) == []


def test_images_named_by_archive_ref_and_sequence(exported: Exported) -> None:
    names = sorted(p.name for p in (exported.package / "images").iterdir())
    assert names and all(n.startswith("J072-1972-003-") and n[-8:-4].isdigit() for n in names)


def test_provenance_names_source_reviewer_and_ocr_text(exported: Exported) -> None:
    prov = read_jsonl(exported.package / "provenance.jsonl")
    for p in prov:
        assert p["source"]["file"] == "book-1972-03.pdf"
        assert (exported.package / p["source"]["image"]).is_file()
        assert p["accepted_by"] in ("auto",) or p["reviewed_by"]
        named = [f for f in p["fields"].values() if f.get("bbox")]
        assert named and all("ocr_text" in f and "bbox_pixels" in f for f in named)


def test_alto_validates_against_official_xsd(exported: Exported) -> None:
    schema = alto_schema()
    files = sorted((exported.package / "alto").glob("*.xml"))
    assert files
    for f in files:
        doc = etree.parse(str(f))
        assert schema.validate(doc), f"{f.name}: {schema.error_log.last_error}"
        assert doc.getroot().findall(".//{*}String")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_pdf_text_layer_is_searchable(exported: Exported) -> None:
    pdfs = list((exported.package / "pdf").glob("*.pdf"))
    assert len(pdfs) == 1
    text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    name = read_jsonl(exported.package / "records.jsonl")[0]["fields"]["male_name"]["value"]
    assert name in text


def test_rerun_adds_nothing(exported: Exported) -> None:
    before = sorted(p.name for p in exported.out.iterdir())
    res = dangan(exported.home, "export", "--batch", "--out", str(exported.out))
    assert "no new records" in res.stdout
    assert sorted(p.name for p in exported.out.iterdir()) == before
