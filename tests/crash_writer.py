"""A real qms-audit writer for the crash-safety harness: saves in a loop until it is killed.

    python tests/crash_writer.py WORKSPACE AUDIT_ID INTENTS_FILE SEED

Before each save it appends `begin <n> <ref> <value>` to INTENTS_FILE (flushed and fsynced), after it
`done <n>`. The harness kills it with SIGKILL at a random moment and checks that every record holds
either the last completed value or the one that was in flight.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import EvidenceKind, Grade
from qms_audit.model.common import Phase
from qms_audit.render.build import write_report
from qms_audit.services import capa
from qms_audit.services.auditing import add_evidence, open_audit, rate
from qms_audit.services.reviews import set_action

REVIEW_ID = "2026-09-30"

REFS = ["4.1.a", "4.2.a", "5.1.a", "6.2.c", "7.1.b", "8.1.a", "9.2.1.a"]


def main() -> None:
    root, audit_id, intents_path, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ws = Workspace(Path(root))
    rng = random.Random(seed)
    evidence_dir = Path(root) / "scratch"
    evidence_dir.mkdir(exist_ok=True)
    intents = open(intents_path, "a", encoding="utf-8")  # noqa: SIM115

    def note(line: str) -> None:
        intents.write(line + "\n")
        intents.flush()
        os.fsync(intents.fileno())

    n = 0
    while True:
        n += 1
        opened = open_audit(ws, audit_id, actor="crash-writer")
        kind = rng.random()
        ref = rng.choice(REFS)
        if kind < 0.6:
            value = f"note-{seed}-{n}"
            note(f"begin {n} rate {ref} {value}")
            rate(opened, ref, Grade.CONFORMITY, actor="crash-writer", note=value)
        elif kind < 0.85:
            value = f"ev-{seed}-{n}"
            path = evidence_dir / f"{value}.txt"
            path.write_text(value * rng.randint(1, 2000))
            note(f"begin {n} evidence {ref} {value}")
            add_evidence(opened, ref, phase=Phase.DO, kind=EvidenceKind.RECORD, text=value, actor="crash-writer",
                         file=path)
        elif kind < 0.92:
            value = f"corr-{seed}-{n}"
            note(f"begin {n} capa NC-2026-FOE-801 {value}")
            capa.update(ws, "NC-2026-FOE-801", actor="crash-writer", correction=value)
        elif kind < 0.96:
            value = f"review-{seed}-{n}"
            note(f"begin {n} review A1 {value}")
            set_action(ws, REVIEW_ID, "A1", status=rng.choice(["open", "done"]), actor="crash-writer", note=value)
        else:
            value = f"report-{seed}-{n}"
            note(f"begin {n} report docx {value}")
            write_report(ws, audit_id, "docx", None)
        note(f"done {n}")


if __name__ == "__main__":
    main()
