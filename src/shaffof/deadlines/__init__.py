"""Deadlines: the statutory time limits of cases (policies as data, each citing its norm)."""
