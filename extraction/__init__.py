"""Field extraction: OCR lines (+ the page image) -> records with calibrated fields.

Public API: :func:`extract_page`. The modules are small and separately usable:
``labels`` (vocabulary, fuzzy label matching), ``tokens`` (OCR lines -> label /
value pieces), ``layout`` (ruled lines, rows), ``classify`` (page type, kind),
``forms`` / ``ledger`` / ``stubs`` (layout readers), ``fields`` and
``confidence`` (normalization, re-reading, calibrated auto-accept).
"""

from extraction.extract import extract_page

__all__ = ["extract_page"]
