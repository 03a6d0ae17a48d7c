"""Storage shell: SQLAlchemy models, engine and repositories."""
