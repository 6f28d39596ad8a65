"""The staff web app and the JSON API (FastAPI), a thin layer over the services."""
