"""The complaint domain's models, one module per domain:

- `reference`: Institution, Brand, ComplainantType, Channel
- `cases`: Complaint, LossItem, StatusChange, Message, Status, CaseNumberCounter
- `evidence`: Evidence; `letters`: Letter; `filings`: Filing, Reminder
- `storage`: the private storages of evidence files and letters
- `fields`: money fields and their limits

Everything is re-exported here: import models from `complaints.models`.
"""

from .cases import (
    CaseNumberCounter,
    Complaint,
    ComplaintQuerySet,
    LossItem,
    Message,
    Status,
    StatusChange,
)
from .evidence import Evidence
from .fields import MAX_AMOUNT, MIN_AMOUNT, money_field
from .filings import Filing, Reminder
from .letters import Letter
from .reference import Brand, Channel, ComplainantType, Institution
from .storage import EvidenceStorage, LetterStorage, evidence_storage, letter_storage

__all__ = [
    "MAX_AMOUNT",
    "MIN_AMOUNT",
    "Brand",
    "CaseNumberCounter",
    "Channel",
    "ComplainantType",
    "Complaint",
    "ComplaintQuerySet",
    "Evidence",
    "EvidenceStorage",
    "Filing",
    "Institution",
    "Letter",
    "LetterStorage",
    "LossItem",
    "Message",
    "Reminder",
    "Status",
    "StatusChange",
    "evidence_storage",
    "letter_storage",
    "money_field",
]
