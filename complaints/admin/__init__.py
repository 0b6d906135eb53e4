"""The admin: reference data for superusers, and the reviewers' side of a
case (queue, case page, workflow buttons and actions, CSV export, letters,
filings and their deadlines), one module per domain:

- `cases` (the queue and case page), `evidence`, `letters`, `filings`,
  `reference` (institutions, brands, channels): the registered model admins
- `inlines`, `filters`, `actions`, `forms`, `display`, `paginator`: their parts
- `views`: the extra pages (a workflow move, a message, the untimely
  bodies, the dashboard)

Reviewers never edit a case here: every change goes through
`workflow.transition()` or a service.
"""

from . import cases, evidence, filings, letters, reference

__all__ = ["cases", "evidence", "filings", "letters", "reference"]
