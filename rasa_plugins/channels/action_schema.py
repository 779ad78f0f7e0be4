"""Rasa validates every action server reply with `jsonschema.validate`, which first re-checks
the (constant) response schema against the JSON-Schema meta-schema: on a search turn that
check was ~51 % of the Rasa process's CPU (py-spy, README "Serving cost"), 20 ms of a 40 ms
turn. `install()` makes Rasa accept exactly the replies it accepted before, for ~1/50 of the work:

- each event is checked against the schema of its own type (Rasa's `oneOf` tries all 23, and
  each alternative pins its `event` name, so exactly one can ever match: the same verdict);
- anything that fails that check goes through the full response schema with a validator built
  and checked once per process, so a bad reply raises the very error Rasa raised (`best_match`,
  Rasa's hint appended)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

HINT = (". Failed to validate Action server response from API, make sure your response from the "
        "Action endpoint is valid. For more information about the format visit {docs}/custom-actions")


def _checked(schema: dict[str, Any]) -> Any:
    from jsonschema.validators import validator_for

    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's whole action-response schema, its schema checked once (cached, immutable)."""
    from rasa.core.actions.action import RemoteAction

    return _checked(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=1)
def event_validators() -> dict[str, Any]:
    """Event name → a validator of Rasa's common event fields plus that type's own schema."""
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    return {own["properties"]["event"]["const"]: _checked({"allOf": [common, own]})
            for own in EVENT_SCHEMA["oneOf"]}


def plainly_valid(result: Any) -> bool:
    """True when the reply is valid by each event's own type; False means "ask the full schema"."""
    if not isinstance(result, dict):
        return False
    events, responses = result.get("events", []), result.get("responses", [])
    if not isinstance(events, list) or not isinstance(responses, list):
        return False
    if not all(isinstance(response, dict) for response in responses):
        return False
    validators = event_validators()
    for event in events:
        validator = validators.get(event.get("event")) if isinstance(event, dict) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result`: same verdicts and errors, without the per-call
    meta-schema check and the 23-way `oneOf` per event."""
    if plainly_valid(result):
        return True
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += HINT.format(docs=DOCS_BASE_URL)
        raise error
    return True


def install() -> None:
    """Route Rasa's action-reply validation through the cached validators (the serving process)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result
