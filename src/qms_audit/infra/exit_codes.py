"""Process exit codes, one meaning each, shared by every command."""

OK = 0
# The command ran and found problems: a failed verification, documents missing from a desk review.
FINDINGS = 1
# The user asked for something impossible: bad arguments, malformed or invalid files, unknown ids.
BAD_INPUT = 2
# The environment refused: the audit is locked by another writer, a file could not be written.
LOCKED_OR_IO = 3
# A defect in qms-audit itself; never expected.
INTERNAL = 4
INTERRUPTED = 130
