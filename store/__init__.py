"""The data layer: SQLAlchemy 2 models for the catalog and shopper history, and loaders."""
