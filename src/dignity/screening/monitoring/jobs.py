"""Monitoring passes in the background of the server, so no page waits on a re-screen.

One `MonitorJobs` per app: a pass runs in its own thread, one at a time; asking for another while
one runs is refused (the page shows the running one, with its progress read from its
`MonitorRun` row, which every chunk updates). A pass that fails is marked failed in its row and
logged without subject details.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from dignity.exc import Conflict
from dignity.screening.monitoring.models import Subject
from dignity.screening.monitoring.rescreen import monitor
from dignity.screening.services import IndexCache

log = logging.getLogger("dignity.screening.monitoring")


class MonitorJobs:
    def __init__(self, factory: sessionmaker[Session], indexes: IndexCache) -> None:
        self._factory = factory
        self._indexes = indexes
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._again: tuple[str, str] | None = None  # a delta pass asked for while one ran

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self, *, actor: str, trigger: str, portfolio_id: str | None = None) -> None:
        """Start a pass (see `rescreen.monitor`) in the background and return at once."""
        with self._lock:
            if self.running:
                raise Conflict("a monitoring pass is already running; wait for it to end")
            self._thread = threading.Thread(
                target=self._run,
                args=(actor, trigger, portfolio_id),
                name="dignity-monitor",
                daemon=True,
            )
            self._thread.start()

    def start_after_commit(
        self, session: Session, *, actor: str, trigger: str, portfolio_id: str | None = None
    ) -> None:
        """`start` once `session`'s transaction commits (the pass must see what it changed);
        nothing if it rolls back."""

        def started(_session: Session) -> None:
            try:
                self.start(actor=actor, trigger=trigger, portfolio_id=portfolio_id)
            except Conflict:  # one is running: the next delta pass picks the change up
                log.info("monitoring pass not started: one is running (trigger: %s)", trigger)

        event.listen(session, "after_commit", started, once=True)

    def after_list_change_committed(
        self, session: Session, *, actor: str, lists: list[str]
    ) -> None:
        """`after_list_change` once `session`'s transaction commits."""
        event.listen(
            session,
            "after_commit",
            lambda _session: self.after_list_change(actor=actor, lists=lists),
            once=True,
        )

    def after_list_change(self, *, actor: str, lists: list[str]) -> None:
        """A delta pass for lists that got new versions, now or as soon as the running one ends."""
        trigger = "new version of " + ", ".join(lists)
        with self._factory() as session:
            watched = session.execute(select(Subject.id).where(Subject.active.is_(True))).first()
        if watched is None:  # nobody to re-screen: the next pass compares from the last one
            return
        with self._lock:
            if self.running:
                self._again = (actor, trigger)
                return
        self.start(actor=actor, trigger=trigger)

    def _run(self, actor: str, trigger: str, portfolio_id: str | None) -> None:
        while True:
            try:
                with self._factory() as session:
                    index = self._indexes.get(session)
                monitor(
                    self._factory, index, actor=actor, trigger=trigger, portfolio_id=portfolio_id
                )
            except Exception:  # the run's row says failed; the server goes on
                log.exception("monitoring pass failed (trigger: %s)", trigger)
            with self._lock:
                if self._again is None:
                    return
                (actor, trigger), portfolio_id, self._again = self._again, None, None

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current pass ends (for tests and an orderly shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
