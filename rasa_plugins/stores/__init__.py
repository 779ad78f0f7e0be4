"""Rasa server plug-ins for the conversation stores: the tracker store both profiles load
(endpoints.yml, endpoints.production.yml) and the production profile's Redis lock store.

Kept out of `rasa_plugins/nlu/` (NLU components), so changing them never retrains the model.
"""
