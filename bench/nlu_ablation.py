"""What each signal of the intent classifier contributes: stratified 5-fold weighted F1 of
the same logistic regression over character TF-IDF only, the e5 sentence vector only, and
both (what config.yml serves); FAQ answers are scored at their response keys.

Usage (Rasa's environment; needs `shopbot setup` for the generated lookups):
    .venv-rasa/bin/python -m bench.nlu_ablation
"""
from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

FOLDS = 5


def main() -> None:
    from rasa.shared.importers.importer import TrainingDataImporter

    from rasa_plugins.nlu.e5_featurizer import MAX_CHARS, encoder
    from rasa_plugins.nlu.intent_classifier import TfidfE5IntentClassifier, label

    data = TrainingDataImporter.load_from_dict(training_data_paths=["data"]).get_nlu_data()
    examples = [m for m in data.intent_examples if m.get("text")]
    texts = [m.get("text") for m in examples]
    fine = np.array([label(m) for m in examples])
    coarse = np.array([name.split("/", 1)[0] for name in fine])
    started = time.perf_counter()
    dense = np.vstack([encoder().query([t[:MAX_CHARS]]) for t in texts]).astype(np.float32)
    encode_ms = (time.perf_counter() - started) * 1000 / len(texts)
    config = TfidfE5IntentClassifier.get_default_config()
    scores: dict[str, list[float]] = {"tfidf only": [], "e5 only": [], "tfidf + e5 (served)": []}
    faq: list[float] = []
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=42).split(texts, fine):
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, config["max_ngram"]),
                                     sublinear_tf=True, lowercase=True).fit([texts[i] for i in train])
        sparse = vectorizer.transform(texts)
        weighted = csr_matrix(dense * config["dense_weight"])
        for name, features in (("tfidf only", sparse), ("e5 only", weighted),
                               ("tfidf + e5 (served)", hstack([sparse, weighted]).tocsr())):
            model = LogisticRegression(C=config["C"], max_iter=config["max_iter"]).fit(features[train], fine[train])
            predicted = model.predict(features[test])
            intents = np.array([p.split("/", 1)[0] for p in predicted])
            scores[name].append(f1_score(coarse[test], intents, average="weighted"))
            if name.endswith("(served)"):
                asked = coarse[test] == "faq"
                faq.append(f1_score(fine[test][asked], predicted[asked], average="weighted"))
    print(f"{len(texts)} messages, {len(set(coarse))} intents, {len(set(fine) - set(coarse))} FAQ answers; "
          f"e5 {encode_ms:.1f} ms per message; stratified {FOLDS}-fold")
    for name, values in scores.items():
        print(f"{name:<22} intent weighted F1 {np.mean(values):.3f} ± {np.std(values):.3f}")
    print(f"{'FAQ answer (served)':<22} weighted F1 over faq/* messages {np.mean(faq):.3f} ± {np.std(faq):.3f}")


if __name__ == "__main__":
    main()
