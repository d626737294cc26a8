"""`offentlig` command groups, one module per feature (added at the end of service/cli.py)."""
