"""The audit export and its offline verifier: real exports, signed with keys made here, then tampered with."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.export import (
    ExportReport,
    Problem,
    export_lines,
    frontier,
    node_keys,
    render_report,
    tree_tops,
    verify_export,
)
from gateway.audit.merkle import EMPTY_ROOT, completed_nodes, leaf_hash, range_hash, root
from gateway.audit.note import NoteSigner

ORIGIN = "sip-sg.example/audit"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
KEY = [SIGNER.verifier]


def _leaf(i: int, pad: str = "") -> bytes:
    return json.dumps({"index": i, "effect": "allow", "note": "数据出境" * (i % 3) + pad}, ensure_ascii=False).encode()


class _Log:
    """An in-memory log: leaves, and every complete subtree as the SQLite store keeps them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.completed: list[list[bytes]] = []
        for i, leaf in enumerate(leaves):
            done = completed_nodes(i, leaf_hash(leaf), self.node)
            self.nodes.update(((level, k), h) for level, k, h in done)
            self.completed.append([h for _, _, h in done])

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int) -> bytes:
        return range_hash(0, size, self.node)

    def checkpoint(self, size: int, signer: NoteSigner = SIGNER, origin: str = ORIGIN) -> str:
        return Checkpoint(origin, size, self.root(size)).sign([signer])

    def export(self, first: int, size: int, signer: NoteSigner = SIGNER) -> list[str]:
        records = ((i, self.leaves[i], self.completed[i]) for i in range(first, size))
        note = self.checkpoint(size, signer)
        return list(export_lines(ORIGIN, first, size, frontier(first, self.node), records, note))


LOG = _Log([_leaf(i) for i in range(64)])


def _line_of(lines: list[str], index: int) -> int:
    """The list position of record ``index``'s line."""
    return next(n for n, line in enumerate(lines) if json.loads(line).get("index") == index)


def _edit(lines: list[str], index: int, change: Callable[[dict[str, Any]], None]) -> list[str]:
    out = list(lines)
    n = _line_of(out, index)
    obj = json.loads(out[n])
    change(obj)
    out[n] = json.dumps(obj, ensure_ascii=False) + "\n"
    return out


def _kinds(report: ExportReport) -> list[tuple[str, int | None]]:
    return [(p.kind, p.index) for p in report.problems]


def _flip(text: str, at: int) -> str:
    """``text`` with the character at ``at`` (ASCII) replaced by another ASCII character: one byte changed."""
    new = "A" if text[at] != "A" else "B"
    return text[:at] + new + text[at + 1 :]


# --- the shape of the tree and the producer -------------------------------------------------------------------------


def test_tree_tops_cover_the_tree_largest_first() -> None:
    """The top subtrees of a tree of 13 are 8, 4 and 1 leaves, aligned, and fold to its root."""
    assert tree_tops(13) == [(3, 0), (2, 2), (0, 12)]
    assert tree_tops(0) == []
    hashes = [leaf_hash(leaf) for leaf in LOG.leaves[:13]]
    assert LOG.root(13) == root(hashes)


def test_node_keys_are_the_subtrees_a_record_completes() -> None:
    """Record 7 completes subtrees of 1, 2, 4 and 8 leaves; an even record only its own leaf."""
    assert node_keys(7) == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert node_keys(6) == [(0, 6)]
    assert [len(node_keys(i)) for i in range(8)] == [len(c) for c in LOG.completed[:8]]


def test_frontier_is_the_stored_hashes_of_the_top_subtrees() -> None:
    assert frontier(6, LOG.node) == [LOG.node(2, 0), LOG.node(1, 2)]
    assert frontier(0, LOG.node) == []


def test_export_lines_are_header_records_trailer_one_json_object_each() -> None:
    lines = LOG.export(3, 6)
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    objs = [json.loads(line) for line in lines]
    assert objs[0] == {
        "export": 1,
        "origin": ORIGIN,
        "from": 3,
        "to": 6,
        "frontier": [base64_of(LOG.node(1, 0)), base64_of(LOG.node(0, 2))],
    }
    assert [o["index"] for o in objs[1:-1]] == [3, 4, 5]
    assert objs[1]["leaf"].encode() == LOG.leaves[3]
    assert objs[-1] == {"checkpoint": LOG.checkpoint(6)}


def base64_of(value: bytes) -> str:
    return base64.b64encode(value).decode()


@pytest.mark.parametrize(
    ("first", "size", "records", "frontier_hashes", "error"),
    [
        (3, 5, [(3, 0), (5, 0)], 2, "in order"),
        (3, 5, [(3, 0)], 2, "stops at record 3"),
        (3, 5, [(3, 0), (4, 0)], 1, "frontier"),
        (5, 3, [], 2, "first <= size"),
    ],
)
def test_export_lines_refuse_what_is_not_an_export(
    first: int, size: int, records: list[tuple[int, int]], frontier_hashes: int, error: str
) -> None:
    """Indexes out of order, too few records, a frontier of the wrong length: a ValueError, not a bad file."""
    rows = [(i, LOG.leaves[i], LOG.completed[i]) for i, _ in records]
    with pytest.raises(ValueError, match=error):
        list(export_lines(ORIGIN, first, size, [bytes(32)] * frontier_hashes, rows, "note"))


def test_export_lines_refuse_a_record_with_the_wrong_number_of_nodes() -> None:
    with pytest.raises(ValueError, match="completes 2 subtrees"):
        list(export_lines(ORIGIN, 1, 2, [LOG.node(0, 0)], [(1, LOG.leaves[1], [LOG.node(0, 1)])], "note"))


# --- the happy path --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "size"), [(0, 0), (0, 1), (0, 2), (0, 8), (0, 13), (3, 16), (5, 5), (7, 13), (8, 33), (63, 64)]
)
def test_a_true_export_verifies(first: int, size: int) -> None:
    """From 0 and from later records (frontier), empty, powers of two and not."""
    report = verify_export(LOG.export(first, size), KEY)
    assert report == ExportReport(ORIGIN, first, size, size - first, ())
    assert report.ok


def test_an_empty_log_exports_the_root_of_nothing() -> None:
    lines = LOG.export(0, 0)
    note = json.loads(lines[-1])["checkpoint"]
    assert Checkpoint.parse(note[: note.rfind("\n\n") + 1]).root == EMPTY_ROOT
    assert verify_export(lines, KEY).ok


def test_the_verdict_line_names_the_range_size_and_origin() -> None:
    report = verify_export(LOG.export(3, 16), KEY)
    assert render_report(report) == (
        "export verified: records 3..15 against checkpoint of size 16, origin sip-sg.example/audit"
    )


def test_lines_read_as_bytes_verify_too() -> None:
    """The CLI may read the file in binary mode: each line is decoded as UTF-8."""
    assert verify_export([line.encode() for line in LOG.export(2, 11)], KEY).ok


@given(st.data())
def test_any_export_of_any_size_verifies(data: st.DataObject) -> None:
    size = data.draw(st.integers(0, 64))
    first = data.draw(st.integers(0, size))
    assert verify_export(LOG.export(first, size), KEY).ok


@given(st.data())
def test_any_one_byte_change_to_any_leaf_is_reported_at_its_index(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 64))
    first = data.draw(st.integers(0, size - 1))
    index = data.draw(st.integers(first, size - 1))
    text = LOG.leaves[index].decode()
    at = data.draw(st.integers(0, len(text) - 1).filter(lambda k: text[k].isascii()))
    lines = _edit(LOG.export(first, size), index, lambda o: o.update(leaf=_flip(o["leaf"], at)))
    assert _kinds(verify_export(lines, KEY)) == [("changed", index)]


@given(st.data())
def test_any_two_changed_leaves_are_both_named_and_nothing_else(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, 64))
    first = data.draw(st.integers(0, size - 2))
    a, b = sorted(data.draw(st.lists(st.integers(first, size - 1), min_size=2, max_size=2, unique=True)))
    lines = _edit(LOG.export(first, size), a, lambda o: o.update(leaf=o["leaf"] + " "))
    lines = _edit(lines, b, lambda o: o.update(leaf=o["leaf"] + "  "))
    assert _kinds(verify_export(lines, KEY)) == [("changed", a), ("changed", b)]


@given(st.data())
def test_any_removed_line_is_named_missing_and_nothing_is_called_changed(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 64))
    first = data.draw(st.integers(0, size - 1))
    index = data.draw(st.integers(first, size - 1))
    lines = LOG.export(first, size)
    del lines[_line_of(lines, index)]
    report = verify_export(lines, KEY)
    assert ("missing", index) in _kinds(report)
    assert {p.kind for p in report.problems} <= {"missing", "unverified"}


@given(st.data())
def test_any_removed_line_with_the_rest_renumbered_is_named_missing(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 64))
    first = data.draw(st.integers(0, size - 1))
    index = data.draw(st.integers(first, size - 1))
    lines = LOG.export(first, size)
    del lines[_line_of(lines, index)]
    for n in range(1 + index - first, len(lines) - 1):
        obj = json.loads(lines[n])
        obj["index"] -= 1
        lines[n] = json.dumps(obj, ensure_ascii=False) + "\n"
    report = verify_export(lines, KEY)
    assert ("missing", index) in _kinds(report)
    assert {p.kind for p in report.problems} <= {"missing", "unverified", "renumbered"}


# --- (a) changed ------------------------------------------------------------------------------------------------------


def test_a_changed_record_is_named() -> None:
    lines = _edit(LOG.export(3, 16), 9, lambda o: o.update(leaf=o["leaf"].replace("allow", "allox")))
    report = verify_export(lines, KEY)
    assert report.problems == (
        Problem("changed", 9, None, "record 9 was changed: its content does not match the signed tree"),
    )
    assert not report.ok
    assert render_report(report) == (
        "changed: record 9 was changed: its content does not match the signed tree\nexport NOT verified: 1 problem"
    )


def test_a_change_with_its_leaf_hash_rewritten_is_pinned_to_the_smallest_subtree() -> None:
    """The forger changed record 9 and its own leaf hash: the pair 8..9 is as far as the signed hashes reach."""

    def forge(o: dict[str, Any]) -> None:
        o["leaf"] = o["leaf"].replace("allow", "deny!")
        o["nodes"][0] = base64_of(leaf_hash(o["leaf"].encode()))

    report = verify_export(_edit(LOG.export(0, 16), 9, forge), KEY)
    assert _kinds(report) == [("rewritten", 8)]
    assert "records 8 to 9" in report.problems[0].message
    assert "at least one of these records was changed" in report.problems[0].message


def test_reference_hashes_alone_do_not_fail_intact_records() -> None:
    """The reference hashes only help to localize: records that recompute the signed root are intact."""
    lines = _edit(LOG.export(0, 16), 9, lambda o: o["nodes"].__setitem__(1, base64_of(bytes(32))))
    assert verify_export(lines, KEY).ok


def test_altered_reference_hashes_over_intact_records_are_told_apart_from_a_change() -> None:
    """Record 2 changed, and record 9's level-1 hash altered: 2 is named, 8..11 said to be intact but rewritten."""
    lines = _edit(LOG.export(0, 16), 9, lambda o: o["nodes"].__setitem__(1, base64_of(bytes(32))))
    lines = _edit(lines, 2, lambda o: o.update(leaf=o["leaf"] + " "))
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("changed", 2), ("rewritten", 8)]
    assert report.problems[1].message == (
        "the export's reference hashes for records 8 to 11 were altered; the records themselves match the signed tree"
    )


def test_a_change_with_every_reference_hash_recomputed_is_reported_over_the_range() -> None:
    """A forger who rebuilt the whole tree: the top subtrees no longer fold to the signed root."""
    forged = _Log([*LOG.leaves[:9], b'{"forged":true}', *LOG.leaves[10:16]])
    lines = forged.export(0, 16)
    lines[-1] = LOG.export(0, 16)[-1]  # the true, signed checkpoint
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("rewritten", 0)]
    assert "records 0 to 15" in report.problems[0].message


# --- (b) missing -----------------------------------------------------------------------------------------------------


def test_a_removed_line_is_named_missing() -> None:
    lines = LOG.export(3, 16)
    del lines[_line_of(lines, 5)]
    report = verify_export(lines, KEY)
    assert ("missing", 5) in _kinds(report)
    assert "record 5 is missing" in render_report(report)
    assert not {"changed", "swapped"} & {p.kind for p in report.problems}


def test_a_removed_line_with_the_rest_renumbered_is_named_missing() -> None:
    lines = LOG.export(3, 16)
    del lines[_line_of(lines, 5)]
    for n in range(_line_of(lines, 6), len(lines) - 1):
        obj = json.loads(lines[n])
        obj["index"] -= 1
        lines[n] = json.dumps(obj, ensure_ascii=False) + "\n"
    report = verify_export(lines, KEY)
    kinds = _kinds(report)
    assert ("missing", 5) in kinds
    assert ("renumbered", 6) in kinds
    assert not {"changed", "swapped", "after-checkpoint"} & {p.kind for p in report.problems}


def test_the_last_line_removed_leaves_nothing_checkable() -> None:
    """Record 15 of 16 carries the top hash: without it no record can be checked, and the verifier says so."""
    lines = LOG.export(0, 16)
    del lines[-2]
    assert _kinds(verify_export(lines, KEY)) == [("unverified", 0), ("missing", 15)]


def test_a_record_removed_in_an_odd_sized_tree_is_localized() -> None:
    lines = LOG.export(0, 13)
    del lines[_line_of(lines, 10)]
    kinds = _kinds(verify_export(lines, KEY))
    assert ("missing", 10) in kinds
    assert [k for k, _ in kinds if k not in {"missing", "unverified"}] == []


# --- (c) swapped and reordered ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [(5, 7), (5, 6), (3, 15)])
def test_two_swapped_lines_are_named(a: int, b: int) -> None:
    lines = LOG.export(3, 16)
    x, y = _line_of(lines, a), _line_of(lines, b)
    lines[x], lines[y] = lines[y], lines[x]
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("swapped", a)]
    assert f"records {a} and {b}" in report.problems[0].message


def test_two_swapped_leaves_are_named() -> None:
    lines = LOG.export(3, 16)
    leaf_a, leaf_b = json.loads(lines[_line_of(lines, 5)])["leaf"], json.loads(lines[_line_of(lines, 12)])["leaf"]
    lines = _edit(lines, 5, lambda o: o.update(leaf=leaf_b))
    lines = _edit(lines, 12, lambda o: o.update(leaf=leaf_a))
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("swapped", 5)]
    assert "records 5 and 12 were swapped" in report.problems[0].message


def test_a_leaf_copied_over_another_is_named_with_its_source() -> None:
    lines = LOG.export(0, 16)
    source = json.loads(lines[_line_of(lines, 2)])["leaf"]
    report = verify_export(_edit(lines, 11, lambda o: o.update(leaf=source)), KEY)
    assert _kinds(report) == [("changed", 11)]
    assert report.problems[0].message == "record 11 was changed: it now holds a copy of record 2"


def test_a_line_moved_later_is_reported_out_of_order() -> None:
    lines = LOG.export(0, 16)
    moved = lines.pop(_line_of(lines, 5))
    lines.insert(_line_of(lines, 9) + 1, moved)
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("reordered", 5)]
    assert "record 5 appears after record 9" in report.problems[0].message


def test_a_duplicated_line_is_reported() -> None:
    lines = LOG.export(0, 8)
    lines.insert(5, lines[3])
    assert _kinds(verify_export(lines, KEY)) == [("duplicate", 2)]


# --- (d) after the checkpoint ----------------------------------------------------------------------------------------


def test_a_record_appended_after_the_checkpoint_is_named() -> None:
    lines = LOG.export(3, 16)
    lines.insert(-1, LOG.export(3, 17)[-2])  # record 16, as the gateway would export it later
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("after-checkpoint", 16)]
    assert "record 16 comes after the checkpoint" in report.problems[0].message


def test_a_record_appended_with_the_header_stretched_is_named() -> None:
    lines = LOG.export(3, 16)
    lines.insert(-1, LOG.export(3, 17)[-2])
    header = json.loads(lines[0])
    header["to"] = 17
    lines[0] = json.dumps(header) + "\n"
    assert _kinds(verify_export(lines, KEY)) == [("header", None), ("after-checkpoint", 16)]


# --- (e) the checkpoint, the header and the trailer ------------------------------------------------------------------


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    report = verify_export(LOG.export(3, 16, impostor), KEY)
    assert _kinds(report) == [("signature", None)]
    assert "not signed by the key you gave" in report.problems[0].message


def test_a_checkpoint_signed_by_a_key_not_named_after_the_log_is_refused() -> None:
    other = NoteSigner("other.example/log", Ed25519PrivateKey.generate())
    report = verify_export(LOG.export(0, 4, other), [other.verifier])
    assert _kinds(report) == [("origin", None)]
    assert "'other.example/log'" in report.problems[0].message


def test_a_header_for_another_log_is_refused() -> None:
    lines = LOG.export(0, 4)
    header = json.loads(lines[0])
    header["origin"] = "elsewhere.example/audit"
    lines[0] = json.dumps(header) + "\n"
    assert _kinds(verify_export(lines, KEY)) == [("origin", None)]


@pytest.mark.parametrize(
    ("edit", "kind"),
    [
        (lambda lines: lines[:-1], "trailer"),
        (lambda lines: lines[1:], "header"),
        (lambda lines: [], "header"),
        (lambda lines: [*lines, lines[-1]], "trailer"),
        (lambda lines: [*lines[:-1], '{"checkpoint": 42}\n'], "malformed"),
        (lambda lines: [*lines[:-1], json.dumps({"checkpoint": "not a note\n"}) + "\n"], "signature"),
        (lambda lines: ['{"export": 2}\n', *lines[1:]], "header"),
        (lambda lines: ["\n", *lines[1:]], "header"),
    ],
)
def test_a_missing_or_malformed_header_or_trailer_is_reported(
    edit: Callable[[list[str]], list[str]], kind: str
) -> None:
    report = verify_export(edit(LOG.export(3, 8)), KEY)
    assert kind in {p.kind for p in report.problems}
    assert not report.ok


def test_a_checkpoint_whose_text_is_not_unicode_is_refused_without_a_traceback() -> None:
    note = LOG.checkpoint(4).replace(ORIGIN, "\ud800", 1)  # our signature line, over text with a lone surrogate
    lines = [*LOG.export(0, 4)[:-1], json.dumps({"checkpoint": note}) + "\n"]
    report = verify_export(lines, KEY)
    assert _kinds(report) == [("signature", None)]
    assert "not valid Unicode" in report.problems[0].message


@given(st.data())
def test_any_one_character_edit_anywhere_never_raises(data: st.DataObject) -> None:
    """Header, records or trailer: the verifier answers with a report, whatever the edit."""
    lines = LOG.export(3, 11)
    n = data.draw(st.integers(0, len(lines) - 1))
    at = data.draw(st.integers(0, len(lines[n]) - 1))
    new = data.draw(st.characters(codec="utf-8"))
    lines[n] = lines[n][:at] + new + lines[n][at + 1 :]
    report = verify_export(lines, KEY)
    assert isinstance(render_report(report), str)


def test_a_checkpoint_with_a_short_root_is_a_bad_trailer() -> None:
    note = Checkpoint(ORIGIN, 4, bytes(16)).sign([SIGNER])
    lines = [*LOG.export(0, 4)[:-1], json.dumps({"checkpoint": note}) + "\n"]
    assert _kinds(verify_export(lines, KEY)) == [("trailer", None)]


# --- (f) the regulator's own checkpoint ------------------------------------------------------------------------------


def test_the_export_matches_the_regulators_checkpoint_of_the_same_size() -> None:
    report = verify_export(LOG.export(3, 16), KEY, LOG.checkpoint(16))
    assert report.ok
    assert report.trusted_size == 16
    assert render_report(report).endswith("; it matches your checkpoint of size 16")


@pytest.mark.parametrize("size", [3, 4, 9, 15])
def test_the_export_matches_an_older_checkpoint_within_it(size: int) -> None:
    assert verify_export(LOG.export(3, 16), KEY, LOG.checkpoint(size)).trusted_size == size


def test_the_export_of_another_history_does_not_match_the_regulators_checkpoint() -> None:
    """The gateway signed a different log of 10 (a fork) and the regulator kept that checkpoint."""
    fork = _Log([*LOG.leaves[:7], b'{"other":1}', *LOG.leaves[8:10]])
    report = verify_export(LOG.export(3, 16), KEY, fork.checkpoint(10))
    assert _kinds(report) == [("checkpoint-mismatch", None)]
    assert "does not match your checkpoint of size 10" in report.problems[0].message


@pytest.mark.parametrize(("size", "why"), [(20, "is newer than this export"), (2, "ends before this export's first")])
def test_a_checkpoint_out_of_the_exports_reach_cannot_be_compared(size: int, why: str) -> None:
    report = verify_export(LOG.export(3, 16), KEY, LOG.checkpoint(size))
    assert _kinds(report) == [("checkpoint-incomparable", None)]
    assert why in report.problems[0].message


def test_the_regulators_checkpoint_must_be_signed_by_the_same_key() -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    report = verify_export(LOG.export(3, 16), KEY, LOG.checkpoint(16, impostor))
    assert _kinds(report) == [("trusted-checkpoint", None)]
    assert "your checkpoint file is not signed" in report.problems[0].message


# --- (g) malformed lines ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "not json\n",
        "[1, 2]\n",
        '{"index": 4, "leaf": "x"}\n',
        '{"index": 4, "leaf": 7, "nodes": ["AAAA"]}\n',
        '{"index": 4, "leaf": "x", "nodes": ["not base64!"]}\n',
        '{"index": 4, "leaf": "x", "nodes": ["AAAA"]}\n',
        '{"index": true, "leaf": "x", "nodes": []}\n',
        '{"index": -4, "leaf": "x", "nodes": []}\n',
        '{"index": 4, "leaf": "\\ud800", "nodes": ["' + "A" * 43 + '="]}\n',
        '{"index": 4, "leaf": "x", "nodes": [], "extra": 1}\n',
        "[" * 100_000 + "\n",
    ],
)
def test_a_malformed_line_is_reported_with_its_number(bad: str) -> None:
    lines = LOG.export(3, 8)
    lines[2] = bad  # the line of record 4
    report = verify_export(lines, KEY)
    assert ("malformed", None) in _kinds(report)
    assert next(p for p in report.problems if p.kind == "malformed").line == 3
    assert ("missing", 4) in _kinds(report)


def test_a_line_that_is_not_utf8_is_malformed() -> None:
    lines: list[str | bytes] = [line.encode() for line in LOG.export(3, 8)]
    lines[2] = b'{"index": 4, "leaf": "\xff"}\n'
    report = verify_export(lines, KEY)
    assert [p.line for p in report.problems if p.kind == "malformed"] == [3]


def test_a_record_before_the_export_is_out_of_range() -> None:
    lines = LOG.export(3, 8)
    lines.insert(2, LOG.export(0, 8)[2])  # record 1
    assert _kinds(verify_export(lines, KEY)) == [("out-of-range", None)]


def test_many_problems_of_one_kind_are_listed_up_to_a_hundred_and_counted() -> None:
    log = _Log([_leaf(i) for i in range(150)])
    lines = log.export(0, 150)
    for i in range(150):
        lines = _edit(lines, i, lambda o: o.update(leaf=o["leaf"] + " "))
    report = verify_export(lines, KEY)
    assert [p.index for p in report.problems[:100]] == list(range(100))
    assert report.problems[100] == Problem("changed", None, None, "50 more problems of this kind are not listed")
