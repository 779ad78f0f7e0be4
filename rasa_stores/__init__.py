"""Rasa server plug-ins for the production profile (loaded by endpoints.production.yml).

Kept out of `rasa_addons/` (NLU components), so changing them never retrains the model.
"""
