"""Side by side on the labelled corpus: our classifier against Microsoft Presidio's pattern-based recognizers.

Presidio is not a dependency of the gateway; it lives in a venv of its own, with the gateway installed beside it::

    python -m venv .venv-presidio && .venv-presidio/bin/pip install -e . presidio-analyzer
    .venv-presidio/bin/python bench/presidio_compare.py [--count N] [--seed S] [--threshold T]

Run in a venv without Presidio, the script says so and exits with status 2.

What runs: Presidio's ``AnalyzerEngine`` (language ``en``) on a blank spaCy ``en`` pipeline, so no language model is
downloaded and no NER runs. Presidio's context words need lemmas, which a blank pipeline leaves empty: one pipeline
component copies each token's lower-case text into its lemma. The registry holds only the recognizers of the entity
types both tools cover, each for ``en``: ``EmailRecognizer``, ``CreditCardRecognizer``, ``IpRecognizer``,
``IbanRecognizer``, ``MacAddressRecognizer``, the Singapore ``SgFinRecognizer`` and ``SgUenRecognizer`` (off in
Presidio's default registry), and ``PhoneRecognizer`` with the regions CN, SG, US and GB (its default list has
neither CN nor SG). Each analyze call asks only for those entity types. tldextract, which Presidio's e-mail
recognizer uses, is told not to fetch the public suffix list (its bundled snapshot serves) unless
``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` is already set.

Presidio reads text, not JSON, and is run the two ways its users run it on JSON bodies:

a. on each string value (and integer, as its decimal text) separately, with the key above the value as context, as
   ``BatchAnalyzerEngine.analyze_dict`` does (which itself rejects arrays of objects, hence a walk of our own); its
   spans then map to our JSON pointers and are scored. A span that is the whole value (but for surrounding white
   space) counts as the whole value, as our scanner reports it;
b. on the whole body as one text (``json.dumps(doc, ensure_ascii=False)``): throughput only, spans inside JSON text
   map to no pointer. ``scan_text`` on the same text is timed beside it for reference.

Scoring uses ``corpus.score`` on the shared types only: labels and predictions are kept for those detectors, and our
``cn_mobile``, ``sg_mobile`` and ``cn_landline`` count as one ``phone`` group, the one ``PHONE_NUMBER`` maps to. A
type is shared when Presidio has its recognizer in the installed version and our classifier has a detector for it;
the others are listed after the table. Throughput is MB of UTF-8 JSON text per second (10^6 bytes) and seconds per
1,000 records, one core, after a short warm-up; our figure is ``scan(doc)`` on the parsed body.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import corpus

from gateway.classify import DETECTOR_CATEGORIES, scan, scan_text
from gateway.model import Json

LANGUAGE = "en"
PHONE = "phone"
PHONE_DETECTORS = frozenset({"cn_mobile", "sg_mobile", "cn_landline"})
PHONE_REGIONS = ("CN", "SG", "US", "GB")
# Presidio entity type -> (its recognizer class, our detector id or group).
PRESIDIO_ENTITIES: dict[str, tuple[str, str]] = {
    "EMAIL_ADDRESS": ("EmailRecognizer", "email"),
    "CREDIT_CARD": ("CreditCardRecognizer", "bank_card"),
    "IP_ADDRESS": ("IpRecognizer", "ip_address"),
    "IBAN_CODE": ("IbanRecognizer", "iban"),
    "SG_NRIC_FIN": ("SgFinRecognizer", "sg_nric_fin"),
    "SG_UEN": ("SgUenRecognizer", "sg_uen"),
    "MAC_ADDRESS": ("MacAddressRecognizer", "mac_address"),
    "PHONE_NUMBER": ("PhoneRecognizer", PHONE),
}
# Presidio entity types left out, and why (printed under the table).
NOT_MAPPED = (
    "DATE_TIME (any date, not a date of birth), URL, and the NER types PERSON, LOCATION (no language model here)"
)
DEFAULT_COUNT = 3000
WARM_UP = 20
INSTALL_HINT = (
    "presidio-analyzer is not installed in this Python ({python}).\n"
    "It is kept out of the gateway's dependencies; install it in a venv of its own:\n"
    "    python -m venv .venv-presidio && .venv-presidio/bin/pip install -e . presidio-analyzer\n"
    "then run:\n"
    "    .venv-presidio/bin/python bench/presidio_compare.py [--count N]"
)

T = TypeVar("T")
R = TypeVar("R")

# (pointer, detector or group, start, end); end None: the whole value.
Prediction = tuple[str, str, int, int | None]


class Counts(Protocol):
    """What ``corpus.score`` gives per detector (its precision and recall are recomputed here, summed too)."""

    @property
    def tp(self) -> int: ...
    @property
    def fp(self) -> int: ...
    @property
    def fn(self) -> int: ...


@dataclasses.dataclass(frozen=True)
class Presidio:
    """An analyzer engine and the entity types each call asks for."""

    analyzer: Any
    entities: tuple[str, ...]
    threshold: float
    version: str
    spacy_version: str


@dataclasses.dataclass(frozen=True)
class Timing:
    label: str
    seconds: float
    megabytes: float
    records: int

    @property
    def mb_per_second(self) -> float:
        return self.megabytes / self.seconds if self.seconds > 0 else float("inf")

    @property
    def seconds_per_thousand(self) -> float:
        return self.seconds / self.records * 1000 if self.records else 0.0


# --- groups ----------------------------------------------------------------------------------------------------


def group_of(detector: str) -> str:
    """Our detector id, or ``phone`` for the phone detectors."""
    return PHONE if detector in PHONE_DETECTORS else detector


def shared_groups(ours: frozenset[str], presidio_entities: Sequence[str]) -> frozenset[str]:
    """Groups that Presidio (with its installed recognizers) and our classifier both detect."""
    theirs = {PRESIDIO_ENTITIES[entity][1] for entity in presidio_entities}
    return frozenset(theirs & {group_of(d) for d in ours})


# --- Presidio --------------------------------------------------------------------------------------------------


def load_presidio(threshold: float) -> Presidio:
    """The analyzer engine described in the module docstring. Raises ImportError without presidio-analyzer."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # bundled snapshot, no download
    analyzer_module = importlib.import_module("presidio_analyzer")
    recognizers = importlib.import_module("presidio_analyzer.predefined_recognizers")
    nlp_engines = importlib.import_module("presidio_analyzer.nlp_engine")
    spacy = importlib.import_module("spacy")

    registry = analyzer_module.RecognizerRegistry(supported_languages=[LANGUAGE])
    entities: list[str] = []
    for entity, (class_name, _group) in PRESIDIO_ENTITIES.items():
        recognizer_class = getattr(recognizers, class_name, None)
        if recognizer_class is None:
            continue  # not in the installed version
        if entity == "PHONE_NUMBER":
            recognizer = recognizer_class(supported_language=LANGUAGE, supported_regions=PHONE_REGIONS)
        else:
            recognizer = recognizer_class(supported_language=LANGUAGE)
        registry.add_recognizer(recognizer)
        entities.append(entity)

    engine = nlp_engines.SlimSpacyNlpEngine(
        models=[{"lang_code": LANGUAGE, "model_name": "blank"}], auto_download=False
    )
    engine.nlp = {LANGUAGE: _blank_pipeline(spacy)}  # set before the engine would load a model by name
    analyzer = analyzer_module.AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])
    return Presidio(
        analyzer,
        tuple(entities),
        threshold,
        importlib.metadata.version("presidio-analyzer"),
        importlib.metadata.version("spacy"),
    )


def _lower_lemma(doc: Any) -> Any:
    """spaCy component: each token's lemma is its lower-case text (what a blank pipeline has instead of lemmas)."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def _blank_pipeline(spacy: Any) -> Any:
    name = "bench_lower_lemma"
    if not spacy.language.Language.has_factory(name):
        spacy.language.Language.component(name, func=_lower_lemma)
    pipeline = spacy.blank(LANGUAGE)
    pipeline.add_pipe(name)
    return pipeline


def presidio_values(presidio: Presidio, groups: frozenset[str], doc: Json) -> list[Prediction]:
    """Presidio on each string value of ``doc`` separately, its spans mapped to pointers and our groups."""
    analyze, entities = presidio.analyzer.analyze, list(presidio.entities)
    out: list[Prediction] = []
    for pointer, key, text in leaf_texts(doc):
        results = analyze(
            text=text, language=LANGUAGE, entities=entities, context=[key] if key else None,
            score_threshold=presidio.threshold,
        )  # fmt: skip
        for result in results:
            group = PRESIDIO_ENTITIES[result.entity_type][1]
            if group in groups:
                out.append(span_prediction(pointer, group, text, result.start, result.end))
    return out


def presidio_text(presidio: Presidio, text: str) -> int:
    """Presidio on one text; the number of results."""
    results = presidio.analyzer.analyze(
        text=text, language=LANGUAGE, entities=list(presidio.entities), score_threshold=presidio.threshold
    )
    return len(results)


# --- JSON --------------------------------------------------------------------------------------------------------


def leaf_texts(doc: Json) -> Iterator[tuple[str, str, str]]:
    """(RFC 6901 pointer, key above the value, text) of each non-empty string and each integer in ``doc``.

    For an array element the key is the one above the array; at the root it is empty.
    """
    stack: list[tuple[Json, str, str]] = [(doc, "", "")]
    while stack:
        node, pointer, key = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, f"{pointer}/{escape_token(name)}", name) for name, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, f"{pointer}/{index}", key) for index, value in enumerate(node))
        elif isinstance(node, str):
            if node:
                yield pointer, key, node
        elif isinstance(node, int) and not isinstance(node, bool):
            yield pointer, key, str(node)


def escape_token(name: str) -> str:
    """A reference token of RFC 6901: '~' and '/' escaped as '~0' and '~1'."""
    return name.replace("~", "~0").replace("/", "~1")


def span_prediction(pointer: str, group: str, text: str, start: int, end: int) -> Prediction:
    """A span; the whole value (but for surrounding white space) as ``(0, None)``, as our scanner reports it."""
    if not text[:start].strip() and not text[end:].strip():
        return pointer, group, 0, None
    return pointer, group, start, end


# --- ours --------------------------------------------------------------------------------------------------------


def our_predictions(groups: frozenset[str], doc: Json) -> list[Prediction]:
    """Our findings in ``doc`` for the shared groups."""
    out: list[Prediction] = []
    for finding in scan(doc).findings:
        group = group_of(finding.detector)
        if group in groups:
            out.append((finding.pointer, group, finding.start, finding.end))
    return out


# --- scoring and timing --------------------------------------------------------------------------------------------


def shared_records(records: Sequence[corpus.Record], groups: frozenset[str]) -> list[corpus.Record]:
    """The records with only the labels of shared groups, phone detectors relabelled ``phone``."""
    return [
        dataclasses.replace(
            record,
            labels=tuple(
                dataclasses.replace(label, detector=group_of(label.detector))
                for label in record.labels
                if group_of(label.detector) in groups
            ),
        )
        for record in records
    ]


def micro(counts: Mapping[str, Counts], groups: frozenset[str]) -> tuple[int, int, int]:
    """tp, fp and fn summed over the shared groups."""
    picked = [counts[g] for g in groups if g in counts]
    return sum(c.tp for c in picked), sum(c.fp for c in picked), sum(c.fn for c in picked)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def timed(label: str, run: Callable[[T], R], items: Sequence[T], megabytes: float) -> tuple[list[R], Timing]:
    """``run`` on each item after a warm-up on the first few, and how long the items took."""
    for item in items[:WARM_UP]:
        run(item)
    started = time.perf_counter()
    results = [run(item) for item in items]
    return results, Timing(label, time.perf_counter() - started, megabytes, len(items))


# --- report ------------------------------------------------------------------------------------------------------


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _score_cells(tp: int, fp: int, fn: int) -> list[str]:
    return [_cell(ratio(tp, tp + fp)), _cell(ratio(tp, tp + fn)), f"{tp}/{fp}/{fn}"]


def _counts(counts: Mapping[str, Counts], name: str) -> tuple[int, int, int]:
    found = counts.get(name)
    return (found.tp, found.fp, found.fn) if found is not None else (0, 0, 0)


def accuracy_table(ours: Mapping[str, Counts], theirs: Mapping[str, Counts], groups: frozenset[str]) -> list[str]:
    """Precision, recall and tp/fp/fn of both tools per shared group, then summed over them."""
    rows = [["detector", "ours P", "ours R", "ours tp/fp/fn", "Presidio P", "Presidio R", "Presidio tp/fp/fn"]]
    for name in sorted(groups):
        rows.append([name, *_score_cells(*_counts(ours, name)), *_score_cells(*_counts(theirs, name))])
    rows.append(["all (micro)", *_score_cells(*micro(ours, groups)), *_score_cells(*micro(theirs, groups))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        " | ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def throughput_table(timings: Sequence[Timing]) -> list[str]:
    header = f"{'throughput':<52} {'MB/s':>8} {'s / 1,000 records':>18}"
    lines = [header, "-" * len(header)]
    lines.extend(f"{t.label:<52} {t.mb_per_second:8.2f} {t.seconds_per_thousand:18.3f}" for t in timings)
    return lines


def coverage_notes(ours: frozenset[str], presidio: Presidio, labelled: frozenset[str]) -> list[str]:
    """What the table leaves out, and why."""
    covered = {PRESIDIO_ENTITIES[e][1] for e in PRESIDIO_ENTITIES}
    installed = {PRESIDIO_ENTITIES[e][1] for e in presidio.entities}
    our_groups = {group_of(d) for d in ours}
    notes = [
        "ours, no Presidio recognizer: " + (", ".join(sorted(d for d in ours if group_of(d) not in covered)) or "none")
    ]
    missing = sorted(f"{e} ({cls})" for e, (cls, _g) in PRESIDIO_ENTITIES.items() if e not in presidio.entities)
    if missing:
        notes.append("Presidio recognizers not in this version: " + ", ".join(missing))
    no_detector = sorted(g for g in installed - our_groups)
    if no_detector:
        notes.append("Presidio only (no detector of ours yet), not compared: " + ", ".join(no_detector))
    unscored = sorted(d for d in labelled if group_of(d) not in installed & our_groups)
    notes.append("Presidio types not mapped: " + NOT_MAPPED)
    notes.append("labelled in the corpus but not compared: " + (", ".join(unscored) or "none"))
    return notes


# --- main --------------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help=f"records (default {DEFAULT_COUNT})")
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default: corpus.generate's)")
    parser.add_argument(
        "--threshold", type=float, default=0.0, help="Presidio score threshold (default 0.0, AnalyzerEngine's)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        presidio = load_presidio(args.threshold)
    except ImportError:
        print(INSTALL_HINT.format(python=sys.executable), file=sys.stderr)
        return 2
    started = time.perf_counter()
    records = corpus.generate(args.count) if args.seed is None else corpus.generate(args.count, args.seed)
    ours = frozenset(DETECTOR_CATEGORIES)
    groups = shared_groups(ours, presidio.entities)
    docs: list[Json] = [record.doc for record in records]
    bodies = [json.dumps(doc, ensure_ascii=False) for doc in docs]
    megabytes = sum(len(body.encode()) for body in bodies) / 1e6

    our_found, our_time = timed(
        "ours: scan(doc) on the parsed body", lambda d: our_predictions(groups, d), docs, megabytes
    )
    their_found, their_time = timed(
        "Presidio (a): each string value separately", lambda d: presidio_values(presidio, groups, d), docs, megabytes
    )
    _, their_text_time = timed(
        "Presidio (b): whole body as one text", lambda b: presidio_text(presidio, b), bodies, megabytes
    )
    _, our_text_time = timed("ours: scan_text(whole body), for reference", scan_text, bodies, megabytes)

    scored = shared_records(records, groups)
    our_counts: Mapping[str, Counts] = corpus.score(scored, our_found)
    their_counts: Mapping[str, Counts] = corpus.score(scored, their_found)
    labelled = frozenset(label.detector for record in records for label in record.labels)

    print(
        f"corpus: {len(records)} records, {megabytes:.2f} MB of JSON; Presidio analyzer {presidio.version}, "
        f"spaCy {presidio.spacy_version} (blank '{LANGUAGE}' pipeline, no model), "
        f"phone regions {', '.join(PHONE_REGIONS)}, score threshold {presidio.threshold:g}"
    )
    print("phone = " + " + ".join(sorted(PHONE_DETECTORS)) + " (ours) = PHONE_NUMBER (Presidio)\n")
    print("\n".join(accuracy_table(our_counts, their_counts, groups)))
    print()
    print("\n".join(throughput_table([our_time, their_time, their_text_time, our_text_time])))
    print()
    print("\n".join(coverage_notes(ours, presidio, labelled)))
    print(f"\nrun took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
