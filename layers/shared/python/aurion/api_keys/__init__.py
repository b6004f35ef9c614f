"""Public API keys, opt-in per tenant: minting and hashing, the authorizer's lookup and route scope, and the
admin-only management routes (the per-key rate limit is aurion.auth.key_quota, applied by aurion.http). The model
and its reasons: docs/api-keys.md.
"""
