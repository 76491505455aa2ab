"""Closing the window while a long read runs (a large database's Dashboard, say): the window
closes at once, the read is stopped rather than waited for, nothing reports the stopped read as
a failure, and the database is as it was for whoever uses it next."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QSettings

from meterbook.app.context import AppContext
from meterbook.app.window import MainWindow

WAIT = 10.0  # s
# A read of about a minute: SQLite counting to 300 million (1.7 s per 10 million on the
# machine these tests were written on), PostgreSQL sleeping 60 s.
LONG_READ = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
              "WHERE x < 300000000) SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(60)",
}


def test_closing_stops_a_long_read_instead_of_waiting_for_it(qtbot, db, tmp_path):
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(AppContext(db), settings)
    qtbot.addWidget(window)
    window.show()
    started, answers, failures = threading.Event(), [], []

    def long_read():
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # the read's first statement
            started.set()
            return conn.exec_driver_sql(LONG_READ[db.engine.dialect.name]).scalar_one()

    task = window.ctx.tasks.read(long_read, answers.append, failures.append)
    assert started.wait(WAIT)
    time.sleep(0.3)  # the long statement under way

    began = time.perf_counter()
    window.close()
    assert time.perf_counter() - began < 5.0  # not the minute the read would take
    assert task.done.is_set()
    qtbot.wait(200)  # what the stopped read sends back arrives, and is dropped
    assert answers == [] and failures == []
    assert window.statusBar().currentMessage() == ""
    # The database serves the next user (the test here, a new window) as before.
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1 + 1").scalar_one() == 2
