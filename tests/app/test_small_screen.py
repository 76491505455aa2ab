"""The app in a 1024x640 window: what matters stays in view, and screenshots can be taken so."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from meterbook.app.launch import screenshots
from meterbook.cli import build_parser
from tests.helpers import CHAT_CLAUDE_PLANS, usage_database

CONVERSATION = "conv_01JQ8Z3K4M5N6P7Q8R9S0T1V2W"  # as long as real ids are
USAGE = f"""timestamp,vendor,model,project,requests,input_tokens,output_tokens,request_id,\
conversation_id
2026-03-02T10:00:00Z,openai,gpt-4o-2024-08-06,support,1,1000,500,r1,{CONVERSATION}
2026-03-03T10:00:00Z,anthropic,claude-sonnet-4-5-20250929,support,1,2000,100,r2,{CONVERSATION}
"""
WAIT = 10_000  # ms


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, USAGE, utc=True) as database:
        yield database


def shown_columns(view) -> list[str]:
    """The titles of the columns wholly inside the table's visible width."""
    header, model = view.horizontalHeader(), view.model()
    room = view.viewport().width()
    return [model.headerData(c, header.orientation()) for c in range(header.count())
            if not header.isSectionHidden(c)
            and header.sectionViewportPosition(c) + header.sectionSize(c) <= room]


def test_usage_keeps_cost_and_plan_in_view_at_1024x640(qtbot, window):
    window.resize(1024, 640)
    window.show_page("usage")
    page = window.pages["usage"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    # 9 columns of 116+72+136+68+64+62+62+72+120 = 772 px do not fit the ~540 px the table
    # has: the least useful give way (requests, vendor, project, then output).
    wanted = {"Cost", "Priced by", "Model", "Time"}
    qtbot.waitUntil(lambda: wanted <= set(shown_columns(page.table)), timeout=WAIT)
    assert "Requests" not in shown_columns(page.table)
    window.resize(1600, 900)  # room again: every column is back
    qtbot.waitUntil(lambda: len(shown_columns(page.table)) == 9, timeout=WAIT)


def test_conversation_ids_are_whole_at_1024x640(qtbot, window):
    window.resize(1024, 640)
    window.show_page("conversations")
    page = window.pages["conversations"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    view = page.view
    index = next(view.model().index(r, 0) for r in range(view.model().rowCount())
                 if view.model().index(r, 0).data() == CONVERSATION)
    needed = view.fontMetrics().horizontalAdvance(CONVERSATION)
    qtbot.waitUntil(lambda: view.visualRect(index).width() - 8 >= needed, timeout=WAIT)
    assert "Cost" in shown_columns(view)


def test_screenshots_at_a_chosen_size(qapp, window, tmp_path):
    args = build_parser().parse_args(["gui", "--screenshot", str(tmp_path), "--size",
                                      "1024x640"])
    assert args.size == (1024, 640)
    screenshots(qapp, window, tmp_path / "shots", settle_ms=50, size=args.size)
    pictures = sorted((tmp_path / "shots").glob("*.png"))
    assert len(pictures) == len(window.pages)
    first = QImage(str(pictures[0]))
    assert (first.width(), first.height()) == (1024, 640)


def test_a_size_that_is_not_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gui", "--size", "big"])
    assert "'big' is not a size like 1024x640" in capsys.readouterr().err
