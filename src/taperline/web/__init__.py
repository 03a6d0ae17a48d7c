"""The web shell: FastAPI, server-rendered pages with htmx, and the JSON API."""
