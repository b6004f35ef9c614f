"""Public API keys, opt-in per tenant: minting and hashing, the authorizer's lookup and route scope, the per-key
rate limit, and the admin-only management routes. The model and its reasons: docs/api-keys.md.
"""
