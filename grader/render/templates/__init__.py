"""Jinja templates of the report formats (kept a package so the templates ship in the wheel)."""
