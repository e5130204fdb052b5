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
)
