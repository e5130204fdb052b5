"""Documentation speed: list, search and event pages over 50,000 events and 200,000 acts.

    .venv/bin/python benchmarks/documentation_speed.py [--events 50000] [--repeats 20]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Issue #7 sets the target: every page under 200 ms of server time with 50,000 events and 200,000
acts. One project is filled with bulk inserts (no per-record services, or the build would take
hours): events with titles, descriptions, places and violation types drawn from the real
thesauri, dated over 20 years; about four acts per event, each against a victim (some victims
suffer several acts); perpetrator groups involved in most acts; sources' information on most
events; the full-text rows `documentation.search.index_record` would write for each record; the
"created" history rows of events and acts. Statistics are gathered (ANALYZE) as a live store's
maintenance would.

Then an investigator of the project signs in through the real login form (password and TOTP)
and the pages are requested through the app's TestClient, in process: the time around each
request is the server's time plus a fraction of a millisecond of client. Each page is asked for
twice to warm up, then `--repeats` times; median and 95th percentile are printed in ms. The
services the pages stand on are timed the same way on their own. A page the app does not serve
(404) is reported as missing, not timed.

With `--database-url` naming a PostgreSQL server, a fresh database is created on it for the run
and dropped at the end; without, a temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import math
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import sqlalchemy as sa
from fastapi.testclient import TestClient
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from dignity.api.app import create_app
from dignity.documentation import search
from dignity.documentation import services as docs
from dignity.documentation.models import (
    Act,
    Event,
    Information,
    Involvement,
    Person,
    RecordChange,
)
from dignity.security import accounts, apitokens
from dignity.security.authz import Principal, user_principal
from dignity.security.models import User
from dignity.security.permissions import Role
from dignity.security.projects import add_member, create_project
from dignity.settings import Settings
from dignity.store import create_engine, make_sessionmaker, migrate, transaction
from dignity.vocab.thesauri import thesaurus

BATCH = 5_000
ACTOR = "benchmark"
PASSWORD = secrets.token_urlsafe(24)  # of the investigator who signs in, for this run only
CODE_ALPHABET = docs.CODE_ALPHABET
TARGET_MS = 200
EVENT_LINK = 'href="/records/events/'  # a list that shows events links to their stories
FIRST_DAY, DAYS = date(2006, 1, 1), 20 * 365  # events and acts: over 20 years
FIRST_ENTRY = datetime(2007, 1, 1, tzinfo=UTC)  # typed in from then on
ACTS_PER_EVENT = (2, 3, 4, 4, 5, 6)
MONITORING = ("monitoring.open", "monitoring.verification", "monitoring.closed.complete")
PERSON_FIELDS = (
    "sex", "age_min", "age_max", "occupation", "perpetrator_type", "counting_unit",
    "group_size_min", "group_size_max",
)  # fmt: skip

PLACES = {
    "sd": [
        "El Geneina",
        "Nyala",
        "El Fasher",
        "Zalingei",
        "Kutum",
        "Tawila",
        "Omdurman",
        "Kadugli",
    ],
    "ua": ["Bucha", "Irpin", "Izium", "Kherson", "Mariupol", "Kharkiv", "Hostomel", "Balakliia"],
    "mm": ["Sagaing", "Hpakant", "Myawaddy", "Lashio", "Hakha", "Mindat", "Kyaukpyu"],
    "sy": ["Douma", "Aleppo", "Idlib", "Raqqa", "Deir ez-Zor", "Daraa", "Homs"],
    "co": ["Tumaco", "Buenaventura", "Toribío", "Catatumbo", "Medellín", "Bojayá"],
    "mx": ["Ayotzinapa", "Iguala", "Ciudad Juárez", "Culiacán", "Nuevo Laredo"],
    "et": ["Axum", "Mekelle", "Humera", "Bahir Dar", "Shire"],
    "cd": ["Beni", "Goma", "Bunia", "Rutshuru", "Kishishe"],
    "ye": ["Taiz", "Hodeidah", "Saada", "Aden"],
    "af": ["Kandahar", "Herat", "Kunduz", "Jalalabad"],
    "ni": ["Masaya", "Managua", "León", "Jinotepe"],
    "by": ["Minsk", "Hrodna", "Homiel"],
    "ir": ["Zahedan", "Mahabad", "Sanandaj", "Tehran"],
    "ph": ["Tondo", "Caloocan", "Marawi"],
    "ve": ["Caracas", "Barquisimeto", "Tumeremo"],
}
SITES = [
    "market", "checkpoint", "hospital", "school", "mosque", "church", "camp for displaced people",
    "police station", "university", "bus station", "border crossing", "water point", "prison",
]  # fmt: skip
GROUPS = [
    "protesters", "students", "journalists", "farmers", "displaced families", "health workers",
    "lawyers", "teachers", "traders", "detainees", "women human rights defenders", "miners",
]  # fmt: skip
OCCASIONS = [
    "a night raid", "a funeral", "a demonstration", "a curfew", "an election rally",
    "a house search", "a sweep operation", "the market day", "a prison transfer",
]  # fmt: skip
SOURCES_SAY = [
    "Witnesses describe", "Relatives reported", "Local monitors documented", "A nurse recalled",
    "Survivors interviewed in the camp described", "A lawyer for the families said",
]  # fmt: skip
WHAT = [
    "armed men in uniform arriving in pickup trucks",
    "shots fired at the crowd without warning",
    "people taken away blindfolded to an unknown place",
    "houses searched and phones confiscated",
    "beatings with sticks and rifle butts",
    "shops looted and set on fire",
    "a list of names read out at the gate",
    "wounded people refused treatment",
]
REASONS = ("", "accused of supporting the opposition", "no reason given", "for filming the raid")
CONSEQUENCES = ("", "lost the use of one hand", "fled the country with the family")
REMARKS = ("", "interview recorded in the camp", "photos and a medical report")
UNITS = [
    "a unit of the 3rd brigade", "the rapid support battalion", "plain-clothes security agents",
    "the local militia", "the border guard post", "an armed group from the hills",
    "the prison guards of the central jail", "the district police",
]  # fmt: skip


@dataclass
class Built:
    project_id: str
    user_id: str
    event_id: str  # an event with four acts, for the story page
    event_title: str
    violation: str  # the filter of the filtered page
    country: str
    word: str  # the full-text query
    counts: dict[str, int]
    seconds: float


def label(code: str) -> str:
    return thesaurus(code.split(".", 1)[0]).label(code)


def person_code(number: int) -> str:
    digits = []
    for _ in range(docs.CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "P-" + "".join(reversed(digits))


class Records:
    """Rows for one project, drawn from the thesauri; each generator remembers the ids it made."""

    def __init__(self, project_id: str, events: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.project_id = project_id
        self.codes = {
            name: thesaurus(name).codes()
            for name in (
                "violation", "right", "act", "method", "location", "sex", "occupation",
                "perpetrator", "outcome", "involvement", "legal", "connection", "material",
                "reliability",
            )
        }  # fmt: skip
        rng = self.rng
        # Each event: its country and number of acts (2 to 6, four on average; the first, 4).
        self.plan = [
            (rng.choice(list(PLACES)), rng.choice(ACTS_PER_EVENT) if i else 4)
            for i in range(events)
        ]
        self.acts_total = sum(n for _, n in self.plan)
        self.roles = {
            "victim": int(self.acts_total * 0.8),  # some victims suffer several acts
            "group": max(events // 30, 10),  # alleged perpetrators
            "source": max(events // 15, 10),
        }
        self.ids: dict[str, list[str]] = {name: [] for name in (*self.roles, "events", "acts")}

    def pick(self, vocabulary: str) -> str:
        return self.rng.choice(self.codes[vocabulary])

    def _managed(self, kind: str | None = None) -> dict[str, Any]:
        rng = self.rng
        entered = FIRST_ENTRY + timedelta(seconds=rng.randrange(19 * 365 * 86400))
        row: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "project_id": self.project_id,
            "entered_by": ACTOR,
            "entered_at": entered,
            "updated_by": ACTOR,
            "updated_at": entered,
            "monitoring_status": rng.choice(MONITORING),
            "revision": 1,
        }
        if kind is not None:
            self.ids[kind].append(row["id"])
        return row

    def _date(self) -> tuple[str, str]:
        """A partial date over 20 years and its precision: a day, a month or a year."""
        rng = self.rng
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        roll = rng.random()
        if roll < 0.7:
            return day.isoformat(), "date.exact"
        if roll < 0.9:
            return day.isoformat()[:7], "date.month"
        return day.isoformat()[:4], "date.year"

    def events(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for country, _ in self.plan:
            place = rng.choice(PLACES[country])
            violations = rng.sample(self.codes["violation"], rng.choice((1, 1, 2, 3)))
            main = label(violations[0])
            title = rng.choice(
                (
                    f"{main} at the {rng.choice(SITES)} of {place}",
                    f"{main} of {rng.choice(GROUPS)} in {place}",
                    f"Raid on the {rng.choice(SITES)} of {place}",
                    f"{main} during {rng.choice(OCCASIONS)} in {place}",
                )
            )
            said = f"{rng.choice(SOURCES_SAY)} {rng.choice(WHAT)} near the {rng.choice(SITES)}."
            reported = ", ".join(label(v).lower() for v in violations)
            start, precision = self._date()
            yield {
                **self._managed("events"),
                "title": title,
                "description": f"{said} {rng.choice(SOURCES_SAY)} {rng.choice(WHAT)}. "
                f"Reported as {reported}.",
                "start_date": start,
                "start_precision": precision,
                "end_date": None,
                "end_precision": "date.unknown",
                "country": country,
                "place": place,
                "location_type": self.pick("location"),
                "violation_types": violations,
                "rights_affected": rng.sample(self.codes["right"], 2),
                "status": rng.choice(("progress.ongoing", "progress.ended", "progress.unknown")),
                "impact": rng.choice(("", "", f"The {rng.choice(SITES)} stayed closed for weeks.")),
            }

    def persons(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        roles = [role for role, n in self.roles.items() for _ in range(n)]
        for number, role in enumerate(roles):
            values: dict[str, Any] = dict.fromkeys(PERSON_FIELDS)
            values.update(kind="individual", description="", identity_id=None)
            if role == "victim":
                age = rng.randrange(8, 80)
                values.update(
                    sex=self.pick("sex"),
                    age_min=age,
                    age_max=age + rng.choice((0, 0, 5)),
                    occupation=self.pick("occupation"),
                    description=rng.choice(("", "", f"one of the {rng.choice(GROUPS)}")),
                )
            elif role == "group":
                low = rng.randrange(5, 200)
                values.update(
                    kind="group",
                    perpetrator_type=self.pick("perpetrator"),
                    counting_unit="unit.person",
                    group_size_min=low,
                    group_size_max=low * 2,
                    description=rng.choice(UNITS),
                )
            else:
                values.update(description=rng.choice(("", "a local monitoring network")))
            yield {**self._managed(role), **values, "code": person_code(number)}

    def acts(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for event_id, (country, n) in zip(self.ids["events"], self.plan, strict=True):
            for _ in range(n):
                start, precision = self._date()
                yield {
                    **self._managed("acts"),
                    "event_id": event_id,
                    "victim_id": rng.choice(self.ids["victim"]),
                    "act_type": self.pick("act"),
                    "methods": rng.sample(self.codes["method"], rng.choice((0, 1, 2))),
                    "start_date": start,
                    "start_precision": precision,
                    "end_date": None,
                    "end_precision": "date.unknown",
                    "place": f"near the {rng.choice(SITES)} of {rng.choice(PLACES[country])}",
                    "location_type": self.pick("location"),
                    "stated_reason": rng.choice(REASONS),
                    "consequences": rng.choice(CONSEQUENCES),
                    "victim_status_end": self.pick("outcome"),
                    "details": {},
                }

    def involvements(self) -> Iterator[dict[str, Any]]:
        """One alleged perpetrator group for most acts, two for some, none for a fifth."""
        rng = self.rng
        for act_id in self.ids["acts"]:
            for _ in range(rng.choice((0, 0, 1, 1, 1, 1, 1, 1, 2, 2))):
                yield {
                    **self._managed(),
                    "act_id": act_id,
                    "perpetrator_id": rng.choice(self.ids["group"]),
                    "degree": self.pick("involvement"),
                    "perpetrator_type": self.pick("perpetrator"),
                    "latest_status": self.pick("legal"),
                    "remarks": "",
                }

    def information(self) -> Iterator[dict[str, Any]]:
        """What sources said about events: one on average, none for a quarter of them."""
        rng = self.rng
        for event_id in self.ids["events"]:
            for _ in range(rng.choice((0, 1, 1, 2))):
                said, precision = self._date()
                yield {
                    **self._managed(),
                    "source_id": rng.choice(self.ids["source"]),
                    "event_id": event_id,
                    "person_id": None,
                    "connection": self.pick("connection"),
                    "material_type": self.pick("material"),
                    "reliability": self.pick("reliability"),
                    "date": said,
                    "date_precision": precision,
                    "language": rng.choice(("en", "ar", "uk", "es", "my")),
                    "remarks": rng.choice(REMARKS),
                }


class Loader:
    """Bulk inserts in batches, with the full-text rows and history the services would add."""

    def __init__(self, engine: Engine, bar: Progress) -> None:
        self.engine = engine
        self.bar = bar
        self.counts: dict[str, int] = {}

    def put(self, table: Any, type_name: str, rows: Iterator[dict[str, Any]], total: int) -> None:
        task = self.bar.add_task(type_name, total=total)
        fields = search.SEARCHED.get(type_name, ())
        done = 0
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                done += self._flush(table, type_name, fields, batch)
                self.bar.update(task, completed=done)
                batch = []
        done += self._flush(table, type_name, fields, batch)
        self.bar.update(task, completed=done, total=done)
        self.counts[type_name] = done

    def _flush(
        self, table: Any, type_name: str, fields: tuple[str, ...], batch: list[dict[str, Any]]
    ) -> int:
        if not batch:
            return 0
        with self.engine.begin() as connection:
            connection.execute(insert(table), batch)
            if fields:
                connection.execute(
                    text(
                        f"INSERT INTO {search.TABLE} (record_type, record_id, project_id, body) "  # noqa: S608
                        "VALUES (:t, :r, :p, :b)"
                    ),
                    [
                        {
                            "t": type_name,
                            "r": row["id"],
                            "p": row["project_id"],
                            "b": "\n".join(str(row.get(name) or "") for name in fields),
                        }
                        for row in batch
                    ],
                )
            if type_name in ("events", "acts"):
                connection.execute(
                    insert(RecordChange),
                    [
                        {
                            "id": str(uuid.uuid4()),
                            "project_id": row["project_id"],
                            "record_type": type_name,
                            "record_id": row["id"],
                            "revision": 1,
                            "action": "created",
                            "changes": {"title": [None, row["title"]]} if "title" in row else {},
                            "actor": ACTOR,
                            "at": row["entered_at"],
                        }
                        for row in batch
                    ],
                )
        return len(batch)


def build(engine: Engine, factory: sessionmaker[Session], events: int, seed: int) -> Built:
    started = time.perf_counter()
    with transaction(factory) as session:
        project = create_project(session, "Benchmark case file", "", actor=ACTOR)
        user, one_time = accounts.create_user(
            session, username="investigator", role=Role.INVESTIGATOR, actor=ACTOR
        )
        accounts.change_password(session, user, current=one_time, new=PASSWORD, keep_session=None)
        add_member(session, project, user, actor=ACTOR)
        project_id, user_id = project.id, user.id
    records = Records(project_id, events, seed)
    with Progress(
        TextColumn("{task.description:>12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        loader = Loader(engine, bar)
        loader.put(Event.__table__, "events", records.events(), events)
        loader.put(Person.__table__, "persons", records.persons(), sum(records.roles.values()))
        loader.put(Act.__table__, "acts", records.acts(), records.acts_total)
        loader.put(
            Involvement.__table__, "involvements", records.involvements(), records.acts_total
        )
        loader.put(Information.__table__, "information", records.information(), events)
    analyze(engine)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        story = connection.execute(
            select(Act.event_id).group_by(Act.event_id).having(sa.func.count() == 4).limit(1)
        ).scalar_one()
        title = connection.execute(select(Event.title).where(Event.id == story)).scalar_one()
    return Built(
        project_id,
        user_id,
        story,
        title,
        "violation.torture",
        "sd",
        "Geneina",
        loader.counts,
        seconds,
    )


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def enrol_and_sign_in(client: TestClient, factory: sessionmaker[Session], user_id: str) -> None:
    """Enrol the investigator's authenticator and sign in through the real form."""
    keyring = client.app.state.keyring  # type: ignore[attr-defined]
    with transaction(factory) as session:
        user = session.get(User, user_id)
        assert user is not None
        secret = accounts.begin_mfa(session, user, keyring)
        now = datetime.now(UTC)
        accounts.confirm_mfa(
            session, user, keyring, pyotp.TOTP(secret).at(now - timedelta(seconds=30)), now, None
        )
        username = user.username
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": PASSWORD,
            "code": pyotp.TOTP(secret).now(),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


def api_token(factory: sessionmaker[Session], settings: Settings, user_id: str) -> str:
    with transaction(factory) as session:
        _, secret = apitokens.issue_token(
            session,
            settings,
            scopes=["records:read"],
            expires_days=1,
            actor=ACTOR,
            now=datetime.now(UTC),
            user=session.get(User, user_id),
        )
    return secret


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def timed(work: Callable[[], object], repeats: int) -> list[float]:
    for _ in range(2):
        work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def pages(
    client: TestClient, built: Built, token: str, repeats: int
) -> list[tuple[str, list[float] | None]]:
    """Each page once to check it is the page (not a redirect to sign in), then timed."""
    api = {"Authorization": f"Bearer {token}"}
    filtered = f"/records?violation={built.violation}&country={built.country}"
    wanted: list[tuple[str, str, dict[str, str], str]] = [
        ("GET /records (events, first page)", "/records", {}, EVENT_LINK),
        (f"GET {filtered}", filtered, {}, EVENT_LINK),
        (f"GET /records?q={built.word}", f"/records?q={built.word}", {}, EVENT_LINK),
        ("GET /records/timeline", "/records/timeline", {}, EVENT_LINK),
        (
            "GET /records/events/{id} (4 acts)",
            f"/records/events/{built.event_id}",
            {},
            built.event_title,
        ),
        (
            "GET /api/projects/{project}/events",
            f"/api/projects/{built.project_id}/events",
            api,
            '"total":',
        ),
    ]
    results: list[tuple[str, list[float] | None]] = []
    for label, url, headers, expected in wanted:
        first = client.get(url, headers=headers, follow_redirects=False)
        if first.status_code == 404:
            results.append((label, None))
            continue
        assert first.status_code == 200, (url, first.status_code, first.text[:300])
        assert expected in first.text, (url, expected)

        def request(url: str = url, headers: dict[str, str] = headers) -> None:
            response = client.get(url, headers=headers, follow_redirects=False)
            assert response.status_code == 200, (url, response.status_code)

        results.append((label, timed(request, repeats)))
    return results


def services(
    factory: sessionmaker[Session], principal: Principal, built: Built, repeats: int
) -> list[tuple[str, list[float] | None]]:
    """The service calls under the pages, each in a session of its own as a request has."""

    def call(work: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with factory() as session:
                return work(session)

        return run

    def story(session: Session) -> object:
        event = docs.get_record(session, principal, "events", built.event_id)
        acts, _ = docs.list_records(session, principal, "acts", where={"event_id": event.id})
        for act in acts:
            docs.list_records(session, principal, "involvements", where={"act_id": act.id})
        docs.list_records(session, principal, "information", where={"event_id": event.id})
        return docs.history(session, principal, "events", event.id)

    wanted: list[tuple[str, Callable[[Session], object]]] = [
        (
            "list_records(events), first page",
            lambda s: docs.list_records(s, principal, "events", project_id=built.project_id),
        ),
        (
            f"list_records(events, country={built.country})",
            lambda s: docs.list_records(s, principal, "events", where={"country": built.country}),
        ),
        (
            f"search.search({built.word!r}, 100 hits)",
            lambda s: search.search(s, principal, built.word, limit=100),
        ),
        ("event, its 4 acts, involvements, information, history", story),
    ]
    return [(label, timed(call(work), repeats)) for label, work in wanted]


def fresh_url(server: str | None, directory: Path) -> tuple[str, str | None]:
    if not server:
        return f"sqlite:///{directory / 'documentation.db'}", None
    name = f"dignity_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def drop(server: str, name: str) -> None:
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def table(title: str, rows: list[tuple[str, list[float] | None]]) -> None:
    print()
    print(f"| {title} | median ms | p95 ms | under {TARGET_MS} ms |")
    print("|---|---:|---:|---|")
    for label, times in rows:
        if times is None:
            print(f"| {label} | missing (404) | | |")
            continue
        p95 = percentile(times, 0.95)
        verdict = "yes" if p95 < TARGET_MS else "**no**"
        print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server to use instead of SQLite"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, created = fresh_url(args.database_url, Path(tmp))
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            factory = make_sessionmaker(engine)
            built = build(engine, factory, args.events, args.seed)
            settings = Settings(
                _env_file=None,
                env="test",
                data_dir=Path(tmp) / "var",
                secret_key=secrets.token_urlsafe(48),
                database_url=url,
            )
            client = TestClient(
                create_app(settings, factory),
                base_url="https://testserver",
                raise_server_exceptions=False,
            )
            enrol_and_sign_in(client, factory, built.user_id)
            token = api_token(factory, settings, built.user_id)
            page_times = pages(client, built, token, args.repeats)
            with factory() as session:
                user = session.get(User, built.user_id)
                assert user is not None
                principal = user_principal(user.id, user.username, user.role, None)
            service_times = services(factory, principal, built, args.repeats)
        finally:
            engine.dispose()
            if args.database_url and created:
                drop(args.database_url, created)
    backend = engine.dialect.name
    counts = ", ".join(f"{n:,} {name}" for name, n in built.counts.items())
    print()
    print(f"backend: {backend}; {counts}")
    print(f"built in {built.seconds:.0f} s (bulk inserts, full-text rows, history, ANALYZE)")
    print(f"{args.repeats} timed requests per row after 2 warm-up requests")
    table(f"page ({backend}, time around the TestClient request)", page_times)
    table(f"service ({backend}, in a session of its own)", service_times)
    missing = [label for label, times in page_times if times is None]
    if missing:
        print()
        print("Not served by the app yet (404), so timed only through the services above:")
        for label in missing:
            print(f"- {label}")


if __name__ == "__main__":
    main()
