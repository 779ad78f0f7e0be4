"""Entities from the shop's lexicon and a few patterns, instead of a neural extractor.

The actions re-parse every message with the retrieval parser and read entities only for
ordinals, quantities and order ids; a CRF/transformer that costs 35 s to load and a sixth of
the CPU of every turn bought nothing the catalog lexicon does not already know. Words come
from the generated lookup tables (the vocabulary the parser is built from: categories and
their aliases, brands, colours, selling points, gender words), the regexes in the training
data (order ids) and the spans annotated in the training examples; matches are the longest
non-overlapping ones, as the parser takes them. Ordinals and quantities become numbers.
"""
from __future__ import annotations

import json
import re
from typing import Any

from core.numbers import chinese_to_int
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LEXICON_FILE = "lexicon.json"
CN = "一二两三四五六七八九十"
UNIT = "个款件台部条双种只项盒瓶箱份套袋包支本罐"
# (entity, pattern, group holding the number, group that is the entity's span): ordinals
# first, so "第二个" is never "二个". A quantity is a number right after a verb of buying
# ("买两个", "来俩", "加入购物车3件"): "这两个哪个好" names no quantity. Digits are annotated
# without their measure word ("买[2]个"), numerals with it ("来[两个]").
VERB = r"(?:买|来|要|加|拿|拍|各|数量|购物车)\s*"
PATTERNS: list[tuple[str, re.Pattern, int, int]] = [
    ("ordinal", re.compile(rf"第\s*([{CN}]+|\d+)\s*[{UNIT}]?"), 1, 0),
    ("ordinal", re.compile(r"(头)一[个款件台部]"), 1, 0),
    ("ordinal", re.compile(r"(最后|上)(?:一|那)?[个款件台部]"), 1, 0),
    ("ordinal", re.compile(r"(?<![\d.])([1-9])(?=\s*(?:和|跟|与|、|vs|VS)\s*[1-9](?![\d.]))"), 1, 0),
    ("ordinal", re.compile(r"(?<=[和跟与、])\s*([1-9])(?![\d.万千百十])"), 1, 0),
    ("quantity", re.compile(rf"{VERB}(\d{{1,2}})(?=\s*[{UNIT}])"), 1, 1),
    ("quantity", re.compile(rf"{VERB}((?<![第{CN}])[{CN}]{{1,3}}[{UNIT}]|俩|仨)"), 1, 1),
]
# A colour family said alone ("黑的", "要个灰的"), looked for after the lexicon's words so
# that "小米的" stays a brand.
COLOR_FAMILY = re.compile(r"([黑白红蓝绿粉紫灰银金黄橙棕青米咖])(?=的|款|色)")


def number_value(surface: str) -> str:
    """The value the actions read: "2" for 第二个 / 两个, "-1" for 最后一个 / 上一个."""
    if surface in ("最后", "上"):
        return "-1"
    if surface == "头":
        return "1"
    digits = surface.strip().lstrip("第").rstrip(UNIT)
    digits = digits.replace("仨", "三")
    n = int(digits) if digits.isdigit() else chinese_to_int(digits)
    return str(n) if n is not None else surface


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Longest non-overlapping lexicon matches, plus ordinal, quantity and regex patterns."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # min_length: shorter annotated spans are too ambiguous to look for in any text.
        return {"learn_from_examples": True, "min_length": 2}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 words: dict[str, str] | None = None, regexes: list[list[str]] | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage, self._resource = model_storage, resource
        self.words = words or {}
        self.regexes = [(name, re.compile(pattern)) for name, pattern in regexes or []]
        self._compile()

    def _compile(self) -> None:
        ordered = sorted(self.words, key=lambda w: (-len(w), w))
        self._lexicon = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
        self._folded = {w.lower(): kind for w, kind in self.words.items()}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LexiconEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        entities = training_data.entities
        words: dict[str, str] = {}
        for table in training_data.lookup_tables:
            if table["name"] in entities and isinstance(table["elements"], list):
                for word in table["elements"]:
                    words.setdefault(word.strip(), table["name"])
        if self._config["learn_from_examples"]:
            for example in training_data.entity_examples:
                for entity in example.get(ENTITIES) or []:
                    surface = example.get(TEXT)[entity["start"]:entity["end"]]
                    if entity["entity"] not in ("ordinal", "quantity") and len(surface) >= self._config["min_length"]:
                        words.setdefault(surface, entity["entity"])
        self.words = {w: kind for w, kind in words.items() if w}
        self.regexes = [(r["name"], re.compile(r["pattern"])) for r in training_data.regex_features
                        if r["name"] in entities]
        self._compile()
        with self._storage.write_to(self._resource) as folder:
            (folder / LEXICON_FILE).write_text(json.dumps(
                {"words": self.words, "regexes": [[n, p.pattern] for n, p in self.regexes]},
                ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LexiconEntityExtractor:
        try:
            with model_storage.read_from(resource) as folder:
                saved = json.loads((folder / LEXICON_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["words"], saved["regexes"])

    def extract(self, text: str) -> list[dict[str, Any]]:
        """Entities of one text, left to right; earlier sources win overlaps."""
        spans: list[tuple[int, int, str, str]] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e, _, _ in spans)

        for name, pattern in self.regexes:
            spans += [(m.start(), m.end(), name, m.group()) for m in pattern.finditer(text)]
        for name, pattern, group, span in PATTERNS:
            for m in pattern.finditer(text):
                if free(*m.span(span)):
                    spans.append((*m.span(span), name, number_value(m.group(group))))
        if self._lexicon is not None:
            for m in self._lexicon.finditer(text):
                if free(m.start(), m.end()):
                    spans.append((m.start(), m.end(), self._folded[m.group().lower()], m.group()))
        for m in COLOR_FAMILY.finditer(text):
            if free(*m.span(1)):
                spans.append((*m.span(1), "color", m.group(1)))
        return [{"entity": name, "start": start, "end": end, "value": value}
                for start, end, name, value in sorted(spans)]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = self.add_extractor_name(self.extract(message.get(TEXT) or ""))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
