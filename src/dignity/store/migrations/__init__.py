"""Alembic migrations of the whole schema.

`MODEL_MODULES` names every module that defines tables; Alembic's environment (and the test that
compares the models with the migrations) import them all, so autogenerate sees the whole schema.
"""

MODEL_MODULES = (
    "dignity.audit.models",
    "dignity.security.models",
    "dignity.registry.models",
    "dignity.screening.models",
    "dignity.screening.monitoring.models",
    "dignity.documentation.models",
    "dignity.consent.models",
    "dignity.dossiers.models",
    "dignity.evidence.models",
)

# Tables the migrations create by hand, outside the models: the full-text index of documentation
# (an FTS5 virtual table and its shadow tables on SQLite, a tsvector table on PostgreSQL).
UNMANAGED_PREFIXES = ("doc_search",)


def managed(name: str | None, type_: str, _parents: object = None) -> bool:
    """Whether autogenerate compares an object (`include_name` of Alembic's environment)."""
    return not (type_ == "table" and name is not None and name.startswith(UNMANAGED_PREFIXES))
