"""Dignity: a platform for human-rights accountability.

Documentation of violations, an evidence vault, sanctions designations and screening, survivor
protection and atrocity-risk monitoring, on one data model. See DESIGN.md for the map.
"""

__version__ = "0.1.0"
