"""The process's collaborators, for views (never for adapters)."""

from __future__ import annotations

from flask import current_app

from service.services import Services


def services() -> Services:
    found: Services = current_app.extensions["offentlig"]
    return found
