"""Accountability and integrity: fair assignment, recusal, four-eyes approval, the process-integrity
monitor and the officer accountability report (issue 12; docs/integrity.md)."""
