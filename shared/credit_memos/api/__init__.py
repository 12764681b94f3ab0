"""The edge: Lambda entry points, HTTP router, request models, error mapping, direct invocation."""
