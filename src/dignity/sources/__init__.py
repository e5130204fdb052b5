"""Official sanctions and designation lists, read from the publishers' own formats.

Each format is one module under `dignity.sources.formats`; each reads a file (or a folder, for
multi-file sets) and yields FollowTheMoney `StatementEntity` objects while filling an
`ImportReport`, so nothing the file holds is dropped silently.
"""
