"""The names of the files and folders of an audit's record folder. Kept apart from the code that reads them, so
that what only stamps folders (the index's scan) need not load the record types."""

AUDIT_FILE = "audit.json"
RESULTS_DIR = "results"
FINDINGS_DIR = "findings"
EVIDENCE_DIR = "evidence"
CRITERIA_DIR = "criteria"
CRITERIA_FILE = f"{CRITERIA_DIR}/standard.yaml"  # the standard's text the audit is judged against
JOURNAL_NAME = ".journal.json"  # a change not yet applied (store/records.py)
