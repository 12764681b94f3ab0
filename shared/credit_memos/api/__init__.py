"""The edge: request models, HTTP resolver, error mapping, direct invocation."""
