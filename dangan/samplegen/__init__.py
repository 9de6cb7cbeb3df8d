"""Synthetic scanned registration books with ground truth.

Tests, demos and benchmarks use these instead of real (personal) archive scans:
every page family the pipeline must handle, degraded like a scan, with
``truth.jsonl`` (records in the RECORDS.md export shape) and ``pages.jsonl``.
"""

from .degrade import ScanParams, degrade, random_scan_params
from .generate import (
    DEMO_FILE,
    PAGES_FILE,
    TRUTH_FILE,
    GeneratedSet,
    generate_demo_book,
    generate_set,
)
from .model import CleanPage, PageMeta, TruthField, TruthRecord
from .render import FAMILIES, RECORD_FAMILIES, UnknownFamilyError, render_page
from .writer import FORMATS, UnknownFormatError

__all__ = [
    "DEMO_FILE",
    "FAMILIES",
    "FORMATS",
    "PAGES_FILE",
    "RECORD_FAMILIES",
    "TRUTH_FILE",
    "CleanPage",
    "GeneratedSet",
    "PageMeta",
    "ScanParams",
    "TruthField",
    "TruthRecord",
    "UnknownFamilyError",
    "UnknownFormatError",
    "degrade",
    "generate_demo_book",
    "generate_set",
    "random_scan_params",
    "render_page",
]
