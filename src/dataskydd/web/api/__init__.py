"""The JSON API under /api/v1 for integrations, one module per domain."""

from fastapi import APIRouter

from dataskydd.web.api import register_data, subjects

routers: list[APIRouter] = [subjects.router, register_data.router]
