"""The HTTP surface: the FastAPI app factory, its error table, dependencies and routers."""
