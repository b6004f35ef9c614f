"""Who is calling and what they may do: session tokens, roles, the authorizer policy, the route guard."""
