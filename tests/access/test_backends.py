"""The access layer on SQLite and on a real PostgreSQL server: the same operations give the same
answers, counters stay exact under concurrent callers, and the audit log cannot be rewritten."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from wikipact.access import Access
from wikipact.access.models import Fees, Quota
from wikipact.errors import AuthenticationError, ConfigError, LimitExceeded

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def access(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        made = Access(tmp_path / "w.db", clock=lambda: NOW)
    else:
        from wikipact.access.postgres_repository import PostgresAccessRepository

        url = request.getfixturevalue("postgres_url")
        made = Access(repository=PostgresAccessRepository(url), clock=lambda: NOW)
    yield made
    made.close()


def _setup(access: Access) -> dict[str, str]:
    access.add_partner("acme", "Acme AI", "data@acme.example", actor="ops")
    access.add_partner("beta", "Beta Labs", actor="ops")
    access.add_agreement(
        "acme", name="2026", projects=["enwiki"], channels=["on-demand", "snapshots"],
        uses=["training"], languages=["en"], namespaces=[0],
        quotas=[Quota(channel="on-demand", period="day", limit=5)], rate_limit=1000, burst=1000,
        starts="2026-01-01", ends="2026-12-31",
        fees=Fees(flat_monthly="100", per_1000_requests={"on-demand": "2.50"}, per_gb="0.08",
                  per_snapshot="150"),
        actor="ops",
    )  # fmt: skip
    access.add_agreement(
        "beta", name="all", projects=["*"], channels=["realtime"], starts="2026-06-01",
        actor="ops",
    )  # fmt: skip
    key, secret = access.create_key("acme", label="prod", expires_at="2027-01-01", actor="ops")
    _, beta = access.create_key("beta", label="main", actor="ops")
    return {"acme": secret, "acme_id": key.identifier, "beta": beta}


def _comparable(access: Access) -> dict[str, object]:
    """Everything the access layer answers, without what is random (ids of keys, events)."""
    keys = sorted(
        (msgspec.structs.replace(k, identifier="", rotated_to=None) for k in access.keys(None)),
        key=lambda k: msgspec.json.encode(k),  # the ids are random: their order too
    )
    audit = [(e["action"], e["actor"]) for e in access.audit_log(1000)]
    return {
        "partners": access.partners(),
        "agreements": access.agreements(),
        "keys": keys,
        "audit": audit,
        "usage": access.usage("acme"),
        "quotas": access.quotas("acme", now=NOW.timestamp()),
        "statement": access.statement("acme", "2026-11"),
    }


def _exercise(access: Access, secrets: dict[str, str]) -> None:
    principal = access.authenticate(secrets["acme"])
    languages = {"enwiki": "en"}.get
    agreement = access.grant(
        principal, channel="on-demand", project="enwiki", language_of=languages
    ).agreement
    for n in range(7):
        try:
            period = access.admit(principal, agreement, "on-demand", now=NOW.timestamp() + n)
        except LimitExceeded:
            continue
        status = 404 if n == 2 else 200
        access.record(f"e{n}", principal, channel="on-demand", project="enwiki", articles=1,
                      bytes_sent=1_000_000, status=status, agreement=agreement, now=NOW)  # fmt: skip
        if status != 200 and period is not None:
            access.release(agreement, "on-demand", period)
    access.record(
        "e0",
        principal,
        channel="on-demand",
        project="enwiki",
        articles=1,
        bytes_sent=1,
        status=200,
        agreement=agreement,
        now=NOW,
    )  # fmt: skip (a repeat)
    access.record("s1", principal, channel="snapshots", project="enwiki", articles=55,
                  bytes_sent=2_000_000_000, status=200, agreement=agreement, snapshot="x",
                  now=NOW)  # fmt: skip
    access.rotate_key(secrets["acme_id"], grace_seconds=60, actor="acme")
    access.end_agreement(2, "2026-12-31", actor="ops")


def test_the_same_answers_on_both_backends(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from wikipact.access.postgres_repository import PostgresAccessRepository

    url = request.getfixturevalue("postgres_url")
    answers = []
    for made in (
        Access(tmp_path / "w.db", clock=lambda: NOW),
        Access(repository=PostgresAccessRepository(url), clock=lambda: NOW),
    ):
        _exercise(made, _setup(made))
        answers.append(_comparable(made))
        made.close()
    assert answers[0] == answers[1]
    statement = answers[0]["statement"]
    # 100 flat + 5 requests x 2.50/1000 (0.01) + 2.005 GB x 0.08 (0.16) + 1 snapshot x 150
    assert statement.total == "250.17"
    assert answers[0]["quotas"][0]["used"] == 5


def test_keys_expiry_revocation_and_rotation(access: Access) -> None:
    secrets = _setup(access)
    assert access.authenticate(secrets["acme"]).partner == "acme"
    with pytest.raises(AuthenticationError, match="expired"):
        access.authenticate(secrets["acme"], now=datetime(2027, 1, 1, tzinfo=UTC))
    new, new_secret = access.rotate_key(secrets["acme_id"], grace_seconds=60, actor="ops")
    access.authenticate(secrets["acme"], now=NOW + timedelta(seconds=59))
    with pytest.raises(AuthenticationError, match="grace"):
        access.authenticate(secrets["acme"], now=NOW + timedelta(seconds=60))
    assert access.authenticate(new_secret).key == new.identifier
    access.revoke_key(new.identifier, actor="ops")
    with pytest.raises(AuthenticationError, match="revoked"):
        access.authenticate(new_secret)
    with pytest.raises(AuthenticationError, match="not valid"):
        access.authenticate(secrets["beta"][:-1] + "x")
    with pytest.raises(ConfigError, match="exists already"):
        access.add_partner("acme", "Again", actor="ops")


def test_concurrent_callers_share_one_exact_quota(access: Access) -> None:
    """8 threads ask 50 times each for a quota of 100: exactly 100 are admitted."""
    access.add_partner("acme", "Acme", actor="ops")
    agreement = access.add_agreement(
        "acme", name="q", projects=["*"], channels=["on-demand"], rate_limit=1e6, burst=1_000_000,
        quotas=[Quota(channel="on-demand", period="month", limit=100)], starts="2026-01-01",
        actor="ops",
    )  # fmt: skip
    _, secret = access.create_key("acme", label="k", actor="ops")
    principal = access.authenticate(secret)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(50):
            try:
                access.admit(principal, agreement, "on-demand", now=NOW.timestamp())
                result = "admitted"
            except LimitExceeded:
                result = "refused"
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter(admitted=100, refused=300)
    assert access.quotas("acme", now=NOW.timestamp())[0]["used"] == 100


def test_the_rate_limit_is_a_gcra_bucket(access: Access) -> None:
    access.add_partner("acme", "Acme", actor="ops")
    agreement = access.add_agreement(
        "acme", name="r", projects=["*"], channels=["on-demand"], rate_limit=2, burst=3,
        starts="2026-01-01", actor="ops",
    )  # fmt: skip
    _, secret = access.create_key("acme", label="k", actor="ops")
    principal = access.authenticate(secret)
    t = 1_000_000.0
    for _ in range(3):  # the burst
        access.admit(principal, agreement, "on-demand", now=t)
    with pytest.raises(LimitExceeded) as refused:
        access.admit(principal, agreement, "on-demand", now=t)
    assert refused.value.retry_after == pytest.approx(0.5)
    access.admit(principal, agreement, "on-demand", now=t + 0.5)


def test_the_audit_log_is_append_only(access: Access) -> None:
    _setup(access)
    actions = [e["action"] for e in access.audit_log()]
    assert actions == ["key.create", "key.create", "agreement.add", "agreement.add",
                       "partner.add", "partner.add"]  # fmt: skip
    repository = access.repository
    if hasattr(repository, "pool"):
        import psycopg

        for statement in ("UPDATE access_audit SET actor='x'", "DELETE FROM access_audit"):
            with pytest.raises(psycopg.errors.RaiseException), repository.pool.connection() as c:
                c.execute(statement)
    else:
        import sqlite3

        conn = sqlite3.connect(repository.path)
        for statement in ("UPDATE access_audit SET actor='x'", "DELETE FROM access_audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
        conn.close()
    assert [e["action"] for e in access.audit_log()] == actions


# -- when each key was last used (the portal's keys page) ----------------------------------


def test_the_latest_usage_event_of_each_key_of_one_partner(access: Access) -> None:
    access.add_partner("acme", "Acme AI", actor="ops")
    access.add_partner("beta", "Beta Labs", actor="ops")
    used, used_raw = access.create_key("acme", label="used", actor="ops")
    idle, _ = access.create_key("acme", label="idle", actor="ops")
    _, beta_raw = access.create_key("beta", label="main", actor="ops")
    acme, beta = access.authenticate(used_raw), access.authenticate(beta_raw)
    # recorded out of order, one refused (still a use of the key), and a later one by beta
    moments = [NOW - timedelta(days=3), NOW - timedelta(seconds=3605), NOW - timedelta(days=9)]
    for n, (moment, status) in enumerate(zip(moments, (200, 404, 200), strict=True)):
        access.record(f"a{n}", acme, channel="on-demand", project="enwiki", articles=1,
                      bytes_sent=10, status=status, now=moment)  # fmt: skip
    access.record("b0", beta, channel="search", project="enwiki", articles=1, bytes_sent=1,
                  status=200, now=NOW)  # fmt: skip

    assert access.keys_last_used("acme") == {used.identifier: "2026-11-15T10:59:55Z"}
    assert idle.identifier not in access.keys_last_used("acme")
    assert list(access.keys_last_used("beta").values()) == ["2026-11-15T12:00:00Z"]
    assert access.keys_last_used("nobody") == {}
