"""The report: table pages, the excluded cases, the results page and the pictures.

``radiodeep.report.tables`` renders tables as HTML pages and collects the excluded cases;
``run`` checks that a report describes the run that made the results; ``summary`` renders the
results page (``results/summary.html``); ``overlays`` and ``figures`` draw the segmentation and
stability pictures (matplotlib is imported there only).

Example:
    >>> excluded_cases([]).columns.tolist()
    ['source', 'case_id', 'patient_id', 'status', 'reason']
"""

from radiodeep.report.tables import (
    EXCLUDED_COLUMNS,
    excluded_cases,
    render_table_html,
    stage_times,
    table_html,
    unlabelled_cases,
    write_excluded_cases,
    write_provenance_table,
)

__all__ = ["EXCLUDED_COLUMNS", "excluded_cases", "render_table_html", "stage_times", "table_html",
           "unlabelled_cases", "write_excluded_cases", "write_provenance_table"]
