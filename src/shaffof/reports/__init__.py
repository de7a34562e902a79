"""Transparency in numbers: rollups of case events, the public dashboard's figures, open data, EGDI."""
