"""Repositories, one module per aggregate. Tenant repositories scope every query by employer."""
