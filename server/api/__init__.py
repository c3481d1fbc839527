"""HTTP routers, one per audience: employer, candidate, auth, health."""
