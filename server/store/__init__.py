"""Storage: SQLAlchemy models, migrations, and tenant-scoped repositories."""
