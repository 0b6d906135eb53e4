"""Writes that are not status changes, one module per domain:

- `cases`: case numbers, creating and updating a complaint, messages,
  assignment
- `evidence`: adding, changing, deleting and reviewing evidence files
- `filings`: recording filings and the bodies' answers, their due dates

Status is written only by `complaints.workflow`; letters are issued by
`complaints.letters.issue`. Everything is re-exported here.
"""

from .cases import (
    complaint_assign,
    complaint_create,
    complaint_update,
    message_post,
    next_case_number,
)
from .evidence import (
    evidence_add,
    evidence_delete,
    evidence_review,
    evidence_thumbnail,
    evidence_update,
)
from .filings import (
    FILING_FIELDS,
    REPLY_FIELDS,
    apply_clock,
    filing_record,
    filing_refresh_due,
    filing_reply,
)

__all__ = [
    "FILING_FIELDS",
    "REPLY_FIELDS",
    "apply_clock",
    "complaint_assign",
    "complaint_create",
    "complaint_update",
    "evidence_add",
    "evidence_delete",
    "evidence_review",
    "evidence_thumbnail",
    "evidence_update",
    "filing_record",
    "filing_refresh_due",
    "filing_reply",
    "message_post",
    "next_case_number",
]
