"""User-facing pages, one module per domain: `site` (home), `cases`,
`evidence`, `letters`, `filings`. URLs are in `complaints/urls.py`."""
