"""Documentation of violations after the HURIDOCS Events Standard Formats (see models.py)."""
