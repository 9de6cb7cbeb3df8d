"""Loading reviewed records into the national marriage-registration system.

Validated batches with provenance (``batch``), the versioned mapping to the
national data items (``mapping``), archive formats (ALTO per page, a searchable
PDF per book), record linkage (``linkage``) and optional HTTP submission
(``submit``). ``national.cli.run_batch_export`` is the entry point.
"""
