"""In-memory stand-ins for the service's ports, for the fast (unit) tier."""
