"""The ``shaffof`` command (typer + rich)."""
