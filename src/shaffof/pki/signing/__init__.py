"""Signature formats: ``jws`` (signed submissions) now; ``pades`` (signed decisions) joins it."""
