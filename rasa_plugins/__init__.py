"""What the Rasa server imports of ours (it runs in .venv-rasa): NLU components (`nlu/`, part of the
trained model), channels (`channels/`) and tracker/lock stores (`stores/`)."""
