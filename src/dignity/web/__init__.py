"""The web surface: server-rendered pages (Jinja2, vendored HTMX), accessible and RTL-ready."""
