"""Click commands of features, registered at the bottom of service/cli.py."""
