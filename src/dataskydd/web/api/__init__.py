"""The JSON API under /api/v1 for integrations, one module per domain."""

from fastapi import APIRouter

from dataskydd.web.api import collect, register_data, subjects

routers: list[APIRouter] = [subjects.router, register_data.router]
# Mounted at the root, not under /api/v1: the banner script posts to /collect and /consent.
public_routers: list[APIRouter] = [collect.router]
