"""Who is calling and what they may do: session tokens, roles, the route guard, the per-API-key quota.

Below aurion.api_keys (which manages keys) and aurion.http (which applies the quota); the REQUEST authorizer that
joins sessions and keys is aurion.authorizer, above both.
"""
