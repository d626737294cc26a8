"""WSGI entry point for gunicorn: `gunicorn service.wsgi:app` (what `offentlig serve` runs)."""

from service import create_app

# Migrations ran once before the workers started.
app = create_app({"AUTO_MIGRATE": False})
