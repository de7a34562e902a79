"""Decisions: the decision document (rendered to PDF/A, then signed), later rules and automated decisions."""
