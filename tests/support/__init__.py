"""Helpers the tests share: reading replies, writing real Rasa conversations, import rules, scripts run in .venv-rasa."""
