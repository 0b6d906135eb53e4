"""Complaint letters: templates, context and PDF rendering (issue 5)."""
