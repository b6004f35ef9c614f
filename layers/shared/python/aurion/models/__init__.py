"""Response models, one module per spec section. Field names and nesting mirror the spec exactly."""
