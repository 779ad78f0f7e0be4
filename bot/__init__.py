"""Daogou's web app, CLI, settings and process runner."""
