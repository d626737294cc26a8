"""End-to-end tests: a real WordPress with the plugin, the real service on SeaweedFS."""
