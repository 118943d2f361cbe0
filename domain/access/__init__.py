"""The access context: API keys (credentials as events) and the scopes they carry."""
