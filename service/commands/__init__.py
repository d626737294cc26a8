"""`offentlig` commands, one module per feature (registered at the bottom of service/cli.py)."""
