"""Shared pieces both Python environments import (the web app's .venv and Rasa's .venv-rasa):
the standard library and PyJWT only, no project imports."""
