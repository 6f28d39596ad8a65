"""The JSON API under /api/v1 for integrations, one module per domain."""

from fastapi import APIRouter

from dataskydd.web.api import analytics, collect, recommendations, register_data, subjects

routers: list[APIRouter] = [
    subjects.router,
    register_data.router,
    recommendations.router,
    analytics.router,
]
# Mounted at the root, not under /api/v1: the banner script posts to /collect and /consent.
public_routers: list[APIRouter] = [collect.router]
