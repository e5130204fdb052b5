"""The registry: stored designations as statements, versioned per list, with deltas and statistics.

Every value of every listed entity is one statement (entity, schema, property, value, list) with the
interval of list versions it was seen in (`first_seen`..`last_seen`), so any version of any list can
be rebuilt, two versions compared, and every value traced to the import that brought it.
"""
