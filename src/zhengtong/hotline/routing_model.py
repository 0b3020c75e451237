"""The message classifier that routes a citizen message to a first-level category.

Method: TF-IDF over character 1- to 3-grams of the title and body, and a linear
support-vector machine, calibrated by Platt scaling on cross-validated decision
values so that the confidence it reports is a probability the dispatcher queue
can be cut at. Characters rather than words because Chinese has no spaces and
a word segmenter's mistakes on place names, estate names and new terms
(智慧人社, 一件事) cost more than they give: on the labelled 12345 messages the
character model beats a segmented-word model and a combination of both (see
docs/hotline-routing.md for the figures and what else was tried).

Everything here is plain Python over scikit-learn, with no database: the app
stores the fitted model as a file whose SHA-256 it keeps, and loads it only
when the digest matches, because unpickling a file is running it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import pickle
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.svm import LinearSVC

# Bumped when the features or the file layout change, so that an old file is
# refused with a clear message instead of predicting nonsense.
MODEL_FORMAT = 1
MAX_TEXT_CHARS = 2000
MIN_EXAMPLES_PER_LABEL = 5
NGRAM_MIN, NGRAM_MAX = 1, 3
# Near-duplicates share this much of their character 5-grams; they are kept
# in the same fold so that evaluation never scores a message the model has
# already seen in a reworded copy.
NEAR_DUPLICATE_JACCARD = 0.6

ProgressCallback = Callable[[int, str], None]


class DataProblem(ValueError):
    """Training data that cannot be used, with the reason as a stable code and its values.

    The message is English, for logs and the command line's tracebacks; a
    reason shown to people is worded from ``code`` and ``params`` in the
    reader's language, since a run in the background has no reader to ask.
    """

    def __init__(self, message: str, *, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})


class TrainingDataError(DataProblem):
    """The labelled examples cannot train a model; the message says why."""


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    body: str
    label: str = ""

    @property
    def text(self) -> str:
        return message_text(self.title, self.body)


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    confidence: float
    # The runners-up, best first, so the dispatcher sees what else it could be.
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(slots=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class EvaluationReport:
    """Cross-validated figures for a set of labelled examples."""

    labels: list[str]
    folds: int
    macro_f1_folds: list[float]
    per_class: list[ClassReport]
    confusion: list[list[int]]
    examples: int
    distinct_examples: int
    calibration_error: float
    # (confidence threshold, share of messages at or above it, their accuracy):
    # how many messages would be routed without a dispatcher, and how well.
    thresholds: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def macro_f1_mean(self) -> float:
        return float(np.mean(self.macro_f1_folds)) if self.macro_f1_folds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "folds": self.folds,
            "macro_f1_mean": round(self.macro_f1_mean, 4),
            "macro_f1_folds": [round(f, 4) for f in self.macro_f1_folds],
            "per_class": [
                {
                    "label": c.label,
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for c in self.per_class
            ],
            "confusion": self.confusion,
            "examples": self.examples,
            "distinct_examples": self.distinct_examples,
            "calibration_error": round(self.calibration_error, 4),
            "thresholds": [
                {"threshold": t, "share": round(share, 4), "accuracy": round(accuracy, 4)}
                for t, share, accuracy in self.thresholds
            ],
        }


@dataclass(slots=True)
class RoutingModel:
    """A fitted classifier with what it was trained on."""

    labels: list[str]
    vectorizer: CharNgramTfidf
    classifier: CalibratedClassifierCV
    trained_examples: int
    label_counts: dict[str, int] = field(default_factory=dict)
    train_seconds: float = 0.0
    format: int = MODEL_FORMAT

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        """Return the most likely label and its calibrated probability for each message."""
        if not examples:
            return []
        features = self.vectorizer.transform([e.text for e in examples])
        probabilities = self.classifier.predict_proba(features)
        classes = [str(c) for c in self.classifier.classes_]
        predictions = []
        for row in probabilities:
            order = np.argsort(row)[::-1]
            best = int(order[0])
            predictions.append(
                Prediction(
                    label=classes[best],
                    confidence=float(row[best]),
                    alternatives=tuple((classes[int(i)], float(row[int(i)])) for i in order[1:3]),
                )
            )
        return predictions

    def predict_one(self, title: str, body: str) -> Prediction:
        return self.predict([Example(title, body)])[0]

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)


class ModelFileError(ValueError):
    """A stored model file is missing, altered or of another format."""


def sha256_of(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def load_model(path: Path, expected_sha256: str) -> RoutingModel:
    """Load a model file, refusing it unless its digest is the recorded one."""
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"model file {path} cannot be read: {error}") from error
    if sha256_of(payload) != expected_sha256:
        raise ModelFileError(f"model file {path} does not match its recorded SHA-256")
    model = pickle.loads(payload)  # noqa: S301 - the digest above proves it is the file we wrote
    if not isinstance(model, RoutingModel) or model.format != MODEL_FORMAT:
        raise ModelFileError(f"model file {path} is of another format")
    return model


# Whitespace carries nothing in Chinese text, and NUL would collide with the
# padding of the packed n-gram keys.
_NOT_WORD = re.compile(r"[\s\x00]+")


def message_text(title: str, body: str) -> str:
    """Return the text the model reads: the title, a full stop, the body, whitespace removed."""
    title = _NOT_WORD.sub("", unicodedata.normalize("NFKC", title or "").lower())
    body = _NOT_WORD.sub("", unicodedata.normalize("NFKC", body or "").lower())
    text = f"{title}。{body}" if title else body
    return text[:MAX_TEXT_CHARS]


def _ngram_keys(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (document number, n-gram key) for every character 1-, 2- and 3-gram.

    A key packs the n-gram's code points 21 bits each into one int64, so the
    whole batch is a few numpy passes instead of a Python loop per n-gram;
    an n-gram that would straddle two documents is dropped.
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    total = len(points)
    documents, keys = [], []
    for order in range(NGRAM_MIN, NGRAM_MAX + 1):
        if total < order:
            break
        key = np.zeros(total - order + 1, dtype=np.int64)
        for offset in range(order):
            key = (key << 21) | points[offset : total - order + 1 + offset]
        inside = owner[: total - order + 1] == owner[order - 1 :]
        keys.append(key[inside])
        documents.append(owner[: total - order + 1][inside])
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(documents), np.concatenate(keys)


@dataclass(slots=True)
class CharNgramTfidf:
    """TF-IDF over character n-grams: sublinear term frequency, smoothed IDF, unit length.

    The same features as scikit-learn's ``TfidfVectorizer(analyzer="char",
    sublinear_tf=True)``, computed with array operations, because its
    per-n-gram Python loop made classification five times slower than the
    target of 3,000 messages a second on one core.
    """

    vocabulary: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def fit(self, texts: Sequence[str], *, min_df: int = 2, max_df: float = 0.9) -> CharNgramTfidf:
        documents, keys = _ngram_keys(texts)
        order = np.lexsort((documents, keys))
        keys, documents = keys[order], documents[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (documents[1:] != documents[:-1])
        vocabulary, document_frequency = np.unique(keys[first], return_counts=True)
        count = len(texts)
        keep = (document_frequency >= min_df) & (document_frequency <= max_df * count)
        self.vocabulary = vocabulary[keep]
        self.idf = (np.log((1 + count) / (1 + document_frequency[keep])) + 1).astype(np.float32)
        return self

    def ngrams(self) -> list[str]:
        """Return the n-gram of each column, for reading a model's weights."""
        result = []
        for key in self.vocabulary.tolist():
            points = []
            while key:
                points.append(chr(key & 0x1FFFFF))
                key >>= 21
            result.append("".join(reversed(points)))
        return result

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.fit(texts).transform(texts)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        documents, keys = _ngram_keys(texts)
        size = len(self.vocabulary)
        shape = (len(texts), size)
        if size == 0 or len(keys) == 0:
            return sparse.csr_matrix(shape, dtype=np.float32)
        position = np.searchsorted(self.vocabulary, keys)
        position[position >= size] = 0
        known = self.vocabulary[position] == keys
        matrix = sparse.csr_matrix(
            (np.ones(int(known.sum()), dtype=np.float32), (documents[known], position[known])),
            shape=shape,
        )
        matrix.sum_duplicates()
        if matrix.nnz == 0:
            return matrix
        matrix.data = (1 + np.log(matrix.data)) * self.idf[matrix.indices]
        row_lengths = np.diff(matrix.indptr)
        squares = np.zeros(len(texts), dtype=np.float32)
        filled = row_lengths > 0
        squares[filled] = np.add.reduceat(matrix.data**2, matrix.indptr[:-1][filled])
        matrix.data /= np.repeat(np.sqrt(np.maximum(squares, 1e-12)), row_lengths)
        return matrix


def _classifier(folds: int) -> CalibratedClassifierCV:
    # ensemble=False: one SVM on all the data, with the sigmoid fitted on
    # cross-validated decision values, so prediction costs a single model.
    return CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=folds, ensemble=False)


def check_examples(examples: Sequence[Example]) -> Counter[str]:
    """Return the label counts, or say why these examples cannot train a model."""
    counts: Counter[str] = Counter()
    for number, example in enumerate(examples, start=1):
        if not example.label:
            raise TrainingDataError(
                f"row {number}: the label is empty", code="empty_label", params={"row": number}
            )
        if not example.body.strip() and not example.title.strip():
            raise TrainingDataError(
                f"row {number}: both title and body are empty",
                code="empty_message",
                params={"row": number},
            )
        counts[example.label] += 1
    if len(counts) < 2:
        raise TrainingDataError("at least two labels are needed", code="too_few_labels")
    scarce = sorted(label for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL)
    if scarce:
        raise TrainingDataError(
            f"each label needs at least {MIN_EXAMPLES_PER_LABEL} examples; too few for: "
            + ", ".join(scarce),
            code="too_few_examples",
            params={"n": MIN_EXAMPLES_PER_LABEL, "labels": scarce},
        )
    return counts


def train_model(
    examples: Sequence[Example], *, progress: ProgressCallback | None = None
) -> RoutingModel:
    """Fit the classifier on every example (the examples are checked first)."""
    counts = check_examples(examples)
    started = time.perf_counter()
    report = progress or (lambda _percent, _stage: None)
    report(5, "features")
    vectorizer = CharNgramTfidf()
    features = vectorizer.fit_transform([e.text for e in examples])
    report(40, "classifier")
    folds = min(5, min(counts.values()))
    classifier = _classifier(folds)
    classifier.fit(features, np.array([e.label for e in examples]))
    report(95, "done")
    return RoutingModel(
        labels=sorted(counts),
        vectorizer=vectorizer,
        classifier=classifier,
        trained_examples=len(examples),
        label_counts=dict(sorted(counts.items())),
        train_seconds=time.perf_counter() - started,
    )


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text))


def near_duplicate_groups(texts: Sequence[str]) -> list[int]:
    """Return a group number per text; near-duplicates (reworded resubmissions) share one.

    Candidates are found through an index of each text's few smallest-hashed
    character 5-grams (a MinHash-like sketch), then confirmed by the Jaccard
    similarity of the full 5-gram sets.
    """
    shingle_sets = []
    for text in texts:
        clean = _normalised(text)
        shingle_sets.append(frozenset(clean[i : i + 5] for i in range(max(1, len(clean) - 4))))
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[str, list[int]] = {}
    for i, shingles in enumerate(shingle_sets):
        sketch = sorted(shingles, key=lambda s: hashlib.blake2b(s.encode(), digest_size=8).digest())
        for shingle in sketch[:8]:
            index.setdefault(shingle, []).append(i)
    for members in index.values():
        # A shingle shared by very many texts is boilerplate, not evidence.
        if len(members) > 50:
            continue
        for a_position, a in enumerate(members):
            for b in members[a_position + 1 :]:
                if root(a) == root(b):
                    continue
                left, right = shingle_sets[a], shingle_sets[b]
                if len(left & right) / max(1, len(left | right)) >= NEAR_DUPLICATE_JACCARD:
                    parent[root(a)] = root(b)
    return [root(i) for i in range(len(texts))]


def _calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    # Expected calibration error: the gap between stated confidence and
    # observed accuracy, weighted by how many predictions fall in each bin.
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidences > low) & (confidences <= high)
        if mask.any():
            total += float(mask.mean()) * abs(
                float(correct[mask].mean()) - float(confidences[mask].mean())
            )
    return total


def cross_validate(
    examples: Sequence[Example],
    *,
    folds: int = 5,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> EvaluationReport:
    """Evaluate by stratified k-fold with near-duplicates kept inside one fold."""
    counts = check_examples(examples)
    texts = [e.text for e in examples]
    labels = np.array([e.label for e in examples])
    groups = near_duplicate_groups(texts)
    folds = max(2, min(folds, min(counts.values())))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = np.empty(len(examples), dtype=object)
    confidence = np.zeros(len(examples))
    fold_scores = []
    report = progress or (lambda _percent, _stage: None)
    for number, (train_rows, test_rows) in enumerate(splitter.split(texts, labels, groups)):
        report(int(100 * number / folds), f"fold {number + 1}/{folds}")
        model = train_model([examples[i] for i in train_rows])
        results = model.predict([examples[i] for i in test_rows])
        for row, result in zip(test_rows, results, strict=True):
            predicted[row] = result.label
            confidence[row] = result.confidence
        fold_scores.append(
            float(f1_score(labels[test_rows], predicted[test_rows].astype(str), average="macro"))
        )
    ordered = sorted(counts)
    predicted_labels = predicted.astype(str)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted_labels, labels=ordered, zero_division=0
    )
    return EvaluationReport(
        labels=ordered,
        folds=folds,
        macro_f1_folds=fold_scores,
        per_class=[
            ClassReport(label, float(p), float(r), float(f), int(s))
            for label, p, r, f, s in zip(ordered, precision, recall, f1, support, strict=True)
        ],
        confusion=confusion_matrix(labels, predicted_labels, labels=ordered).tolist(),
        examples=len(examples),
        distinct_examples=len(set(groups)),
        calibration_error=_calibration_error(confidence, predicted_labels == labels),
        thresholds=_threshold_table(confidence, predicted_labels == labels),
    )


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _threshold_table(
    confidences: np.ndarray, correct: np.ndarray
) -> list[tuple[float, float, float]]:
    table = []
    for threshold in THRESHOLDS:
        mask = confidences >= threshold
        share = float(mask.mean()) if len(mask) else 0.0
        accuracy = float(correct[mask].mean()) if mask.any() else 0.0
        table.append((threshold, share, accuracy))
    return table


class CsvFormatError(DataProblem):
    """A CSV file lacks the columns it needs or cannot be decoded."""


class CsvSyntaxError(CsvFormatError):
    """A CSV file cannot be parsed: an unbalanced quote, or a field over the csv module's limit."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message, code="csv_unreadable", params={"line": line})
        # Where the record that could not be read begins (1 is the header).
        self.line = line


def read_examples_csv(
    source: Path | io.TextIOBase | Iterable[str], *, require_label: bool
) -> list[Example]:
    """Read examples from CSV text with columns title, body and (for training) label."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise CsvFormatError(f"{source} is not UTF-8 text", code="csv_not_utf8") from error
        lines: Iterable[str] = io.StringIO(text)
    else:
        lines = source
    reader = csv.DictReader(lines)
    # An unbalanced quote makes the reader take the rest of the file as one
    # field, which ends in csv.Error (field larger than field limit): a bad
    # file, reported as one, not a fault of the platform.
    start = 1
    try:
        columns = {c.strip().lower() for c in reader.fieldnames or []}
    except csv.Error as error:
        raise CsvSyntaxError(f"line {start}: {error}", line=start) from None
    needed = {"body", "label"} if require_label else {"body"}
    missing = sorted(needed - columns)
    if missing:
        raise CsvFormatError(
            "missing column(s): " + ", ".join(missing),
            code="csv_missing_columns",
            params={"columns": missing},
        )
    examples = []
    rows = iter(reader)
    while True:
        start = reader.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            raise CsvSyntaxError(
                f"line {start}: {error} (an unbalanced quote?)", line=start
            ) from None
        clean = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        examples.append(
            Example(
                title=clean.get("title", "").strip(),
                body=clean.get("body", "").strip(),
                label=clean.get("label", "").strip(),
            )
        )
    return examples
