"""Reading a WordPress site: the port (`port.py`) and its XML-RPC adapter (`xmlrpc.py`)."""
