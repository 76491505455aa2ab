"""Background reads: only the newest answer reaches a page, and failures are never silent."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject

from meterbook.app.tasks import Latest


def test_a_late_answer_to_an_older_question_is_dropped(qtbot, ctx):
    gate = threading.Event()
    shown: list[str] = []
    owner = QObject()
    latest = Latest(ctx.tasks, owner)

    def slow_old_answer():
        gate.wait(10)
        return "March"

    old = latest.read(slow_old_answer, shown.append)
    new = latest.read(lambda: "April", shown.append)
    qtbot.waitUntil(lambda: shown == ["April"])
    gate.set()  # the old question's answer arrives after the new one was shown
    qtbot.wait(100)
    assert shown == ["April"]
    assert not old.current() and new.current()


def test_a_follow_up_read_belongs_to_its_ticket(qtbot, ctx):
    shown: list[str] = []
    latest = Latest(ctx.tasks, QObject())

    def first(result):
        shown.append(result)
        ticket.read(lambda: "the rest", shown.append)

    ticket = latest.read(lambda: "first page", first)
    qtbot.waitUntil(lambda: shown == ["first page", "the rest"])


def test_no_answer_after_the_owner_is_gone(qtbot, ctx):
    gate = threading.Event()
    shown: list[str] = []
    owner = QObject()
    latest = Latest(ctx.tasks, owner)
    latest.read(lambda: gate.wait(10) and "too late", shown.append)
    owner.deleteLater()
    qtbot.wait(50)
    gate.set()
    qtbot.wait(100)
    assert shown == []


def test_a_failed_read_reaches_the_status_bar_and_the_log(qtbot, ctx, tmp_path):
    latest = Latest(ctx.tasks, QObject(), title="read this month's figures")

    def broken():
        raise RuntimeError("disk I/O error")

    with qtbot.waitSignal(ctx.status) as said:
        latest.read(broken, lambda _r: None)
    assert said.args[0].startswith("Could not read this month's figures: disk I/O error")
    log = next((tmp_path / "data").rglob("meterbook.log"))
    assert "RuntimeError: disk I/O error" in log.read_text()


def test_a_failed_read_with_its_own_handler_is_left_to_it(qtbot, ctx):
    errors: list[BaseException] = []
    said: list[str] = []
    ctx.status.connect(said.append)
    latest = Latest(ctx.tasks, QObject())
    latest.read(lambda: 1 / 0, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ZeroDivisionError) and said == []


def test_a_read_asked_while_the_app_closes_is_dropped_quietly(qtbot, ctx):
    # A page's timer can fire after the window began closing (seen as "cannot schedule new
    # futures after shutdown" from the Usage page under load): no answer, no error.
    shown: list[str] = []
    failures: list[str] = []
    ctx.tasks.failed.connect(failures.append)
    ctx.tasks.shutdown()
    task = ctx.tasks.read(lambda: "too late", shown.append, failures.append)
    qtbot.wait(100)
    assert task.done.is_set()
    assert shown == [] and failures == []


def test_an_answer_that_comes_in_as_the_app_closes_is_not_shown(qtbot, ctx):
    # The read ends while the window closes; its answer reaches the UI thread afterwards.
    shown: list[str] = []
    ctx.tasks.read(lambda: "late", shown.append)
    ctx.tasks.shutdown()  # waits for the read: its answer is now on its way
    qtbot.wait(100)
    assert shown == []
