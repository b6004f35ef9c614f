"""One module per analytics view: the SQL it runs and the assembly of its response model."""
