"""Shaffof: an open-source e-government services platform."""

__version__ = "0.1.0"
