"""The job summary's timelines are charts Mermaid (the pinned release GitHub-style renderers use) parses."""

from __future__ import annotations

import pytest

from pytest_sticky.load.timeline import Timeline, to_mermaid
from tests import mermaid

TIMELINES = {
    "a kill": (Timeline(0.5, {"hello-0": [2, 3], "hello-1": [1, 0]}, [0, 1], [(0.6, "hello-1 killed")]), "kill"),
    "titles and labels a user's test may produce": (
        Timeline(
            0.25,
            {"hello-0": [1, 2, 3, 4], 'app-"x"-1': [0, 1, 0, 1], "pod<2>&[3]": [1, 1, 1, 1]},
            [0, 0, 2, 0],
            [(0.3, 'scale "to" 3 & <more>'), (0.31, "second mark: in the same bucket"), (0.9, "#4; done")],
        ),
        'test_rollout[caddy-"redis"]: rolling restart (partition=1) & <memory> #1',
    ),
    "more buckets than columns (merged)": (
        Timeline(0.05, {"hello-0": list(range(200)), "hello-1": [1] * 200}, [0] * 199 + [5], [(9.9, "end")]),
        "",
    ),
    "no request at all": (Timeline(1.0, {}, [0, 0, 0], []), "nothing answered"),
}


@pytest.mark.parametrize("name", list(TIMELINES))
def test_each_timeline_chart_parses_as_an_xychart(name: str) -> None:
    timeline, title = TIMELINES[name]
    chart = to_mermaid(timeline, title)
    sources = mermaid.blocks(chart)
    assert len(sources) == 1, chart
    [result] = mermaid.parse(sources)
    assert result == {"ok": True, "type": "xychart"}, f"{result}\n{sources[0]}"


def test_the_checker_refuses_a_broken_chart() -> None:
    """The check can fail: an unescaped quote in the title is a parse error."""
    [result] = mermaid.parse(['xychart-beta\n    title "a "quoted" title"\n    x-axis ["0"]\n    bar [1]\n'])
    assert result["ok"] is False
    assert "Parse error" in result["error"]
