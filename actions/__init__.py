"""Custom actions for the Rasa action server (rasa-sdk); thin wrappers over the libraries."""
