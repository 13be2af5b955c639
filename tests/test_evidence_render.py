"""The evidence dataclasses and their formatters, from fixed inputs: terminal lines, the Markdown
row, the JSON form (field order, ``loads`` left out when empty) and its way back (xdist)."""

from __future__ import annotations

import json

from pytest_sticky.client import RequestRecord
from pytest_sticky.evidence import FailoverEvidence, NotRunEntry, TestEvidence, TestResult, from_report, to_report
from pytest_sticky.failover import KilledPod
from pytest_sticky.report_files import Document, Environment, markdown_row, to_markdown
from pytest_sticky.summary import block_of, render


def record(n: int, pod: str | None, set_cookie: tuple[str, ...] = ()) -> RequestRecord:
    return RequestRecord(
        n=n,
        url="http://127.0.0.1:1/",
        status=200 if pod else None,
        pod=pod,
        cookie_sent="",
        set_cookie=set_cookie,
        elapsed_s=0.002,
        error="" if pod else "ConnectionError: refused",
    )


def killed() -> KilledPod:
    return KilledPod(
        name="hello-1",
        old_uid="a",
        new_uid="b",
        recovered_after=0.01849,
        replaced_after=0.13512,
        answered_by="hello-0",
        cookie_before="x",
        cookie_after="y",
    )


def evidence() -> TestEvidence:
    return TestEvidence.collect(
        [
            ("sticky", [record(1, "hello-1", ("SERVERID=abc; path=/", "session=1")), record(2, "hello-1")]),
            ("failover", [record(1, None), record(2, "hello-0")]),
        ],
        [FailoverEvidence.of(killed())],
        cookie_names=["SERVERID"],
        reached_via=["haproxy on http://127.0.0.1:1", "haproxy on http://127.0.0.1:1"],
    )


def test_the_failover_reads_the_same_in_the_terminal_and_the_report() -> None:
    failover = FailoverEvidence.of(killed())
    assert failover == FailoverEvidence("hello-1", 0.0185, 0.1351, "hello-0", True)
    assert failover.text() == "hello-1 killed, answered again after 18 ms by hello-0, replaced after 135 ms"
    assert failover.cell() == "hello-1: answered after 18 ms, replaced after 135 ms"


def test_a_tests_lines_in_the_terminal_summary() -> None:
    result = TestResult(evidence(), "passed")
    assert block_of("t.py::test_a", result, verbose=0) == [
        "t.py::test_a  [passed]  4 requests",
        "    reached via haproxy on http://127.0.0.1:1",
        "    affinity cookie SERVERID: SERVERID=abc; path=/",
        "    failover: hello-1 killed, answered again after 18 ms by hello-0, replaced after 135 ms",
        "    (no answer) " + "█" * 15 + " " * 15 + "    1 (25%)",
        "    hello-0     " + "█" * 15 + " " * 15 + "    1 (25%)",
        "    hello-1     " + "█" * 30 + "    2 (50%)",
    ]
    verbose = block_of("t.py::test_a", result, verbose=1)
    assert verbose[4:] == [
        "  sticky: 2 requests, 0 failed",
        "    hello-1 " + "█" * 30 + "    2 (100%)",
        "  failover: 2 requests, 1 failed",
        "    (no answer) " + "█" * 30 + "    1 (50%)",
        "    hello-0     " + "█" * 30 + "    1 (50%)",
    ]
    assert render("HEADER", {"t.py::test_a": result}, verbose=-1) == [
        "pytest-sticky: 4 requests in 1 tests; 1 failovers, recovered after 18 ms (median)"
    ]


def test_a_tests_row_in_the_markdown_report() -> None:
    assert markdown_row("t.py::test_a[x|y]", TestResult(evidence(), "failed")) == (
        "| `t.py::test_a[x\\|y]` | failed | haproxy on http://127.0.0.1:1 | 4 | (no answer): 1, hello-0: 1, "
        "hello-1: 2 | `SERVERID=abc; path=/` | hello-1: answered after 18 ms, replaced after 135 ms |"
    )


def test_the_json_form_keeps_its_keys_in_order_and_comes_back_whole() -> None:
    name, data = to_report(evidence())
    assert name == "sticky"
    assert list(data) == ["requests", "distribution", "traces", "cookies", "failovers", "reached_via"]  # no "loads"
    assert data["traces"][1] == {
        "label": "failover",
        "requests": 2,
        "distribution": {"(no answer)": 1, "hello-0": 1},
        "failed": 1,
    }
    assert data["failovers"] == [
        {
            "pod": "hello-1",
            "recovered_after_s": 0.0185,
            "replaced_after_s": 0.1351,
            "answered_by": "hello-0",
            "cookie_changed": True,
        }
    ]
    wire = json.loads(json.dumps(data))  # what an xdist worker sends
    assert from_report([("other", {}), (name, wire)]) == evidence()


def test_the_report_document_as_json_and_markdown() -> None:
    doc = Document(
        Environment("pytest-sticky 0.1.0: cluster=local", "local", 3, False),
        {"t.py::test_a": TestResult(evidence(), "passed")},
        {"t.py::test_b": NotRunEntry("missing capability", "needs a | Redis", "skipped")},
    )
    data = doc.to_json()
    assert data["environment"] == {
        "header": "pytest-sticky 0.1.0: cluster=local",
        "cluster": "local",
        "replicas": 3,
        "strict": False,
    }
    assert data["tests"]["t.py::test_a"]["outcome"] == "passed"
    assert data["tests"]["t.py::test_a"]["requests"] == 4
    assert data["not_run"] == {
        "t.py::test_b": {"kind": "missing capability", "reason": "needs a | Redis", "outcome": "skipped"}
    }
    assert data["not_run_counts"] == {"missing capability": 1}
    markdown = to_markdown(doc)
    assert markdown.startswith("## pytest-sticky\n\n**pytest-sticky 0.1.0: cluster=local**\n\n| test | outcome |")
    assert markdown.endswith(
        "**Not run: 1 missing capability**\n\n| test | why | outcome |\n|---|---|---|\n"
        "| `t.py::test_b` | missing capability: needs a \\| Redis | skipped |\n"
    )
