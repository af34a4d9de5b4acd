"""Ingest: bring a case's image and mask to NIfTI, with geometry checks and a de-identified header."""

from radiodeep.ingest.stage import ingest_batch, ingest_case

__all__ = ["ingest_batch", "ingest_case"]
