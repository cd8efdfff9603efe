"""``Access``: every operation on partners, agreements, keys, limits, metering and statements.

Writes go through short ``BEGIN IMMEDIATE`` transactions on the shared SQLite file, so counters
(rate limits, quotas, usage) are exact across threads and server processes and survive restarts.
Every change to a partner, agreement or key appends to the audit log in the same transaction.
"""

from __future__ import annotations

import calendar
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from wikipact.access import keys as keymod
from wikipact.access.db import open_access_db
from wikipact.access.entitlement import Caller, Grant, LanguageOf, entitle
from wikipact.access.models import (
    ADMIN_SCOPE,
    CHANNELS,
    PERIODS,
    USES,
    Agreement,
    ApiKey,
    Fees,
    Partner,
    Quota,
    UsageRow,
)
from wikipact.access.pricing import Statement, StatementLine, money
from wikipact.errors import (
    AuthenticationError,
    ConfigError,
    LimitExceeded,
    NotFoundError,
)
from wikipact.model.instants import (
    format_instant,
    normalize_instant,
    parse_day,
    stored_instant,
    utc_now,
)
from wikipact.store.sqlite import connect, write_transaction

AGREEMENT_CACHE_SECONDS = 1.0
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_MONTH = re.compile(r"\d{4}-\d{2}")


def _stamp(moment: datetime) -> str:
    return format_instant(moment)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its partner (None for admins) and its scopes."""

    key: str
    partner: str | None
    scopes: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.partner is None and ADMIN_SCOPE in self.scopes


class Access:
    """The access layer over one SQLite file (the store's)."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        background_checkpoints: bool = False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.path = Path(db_path)
        # the current instant (aware, UTC): expiry, agreement dates and stamps all ask it
        self.clock = clock
        self.background_checkpoints = background_checkpoints
        conn, self._secret = open_access_db(self.path)
        conn.close()
        self._local = threading.local()
        # one writer per process at a time: threads queue here instead of spinning on SQLite's lock
        self._write_lock = threading.Lock()
        self._agreement_cache: dict[str, tuple[float, list[Agreement]]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
            # writers wait for each other in fine steps (below), not SQLite's 1-100 ms sleeps
            conn.execute("PRAGMA busy_timeout=0")
            if self.background_checkpoints:
                # a commit that triggers a checkpoint would write and fsync the WAL on the
                # request's thread (the event loop, in the API): the checkpointer thread does it
                conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction; the write lock is retried every 0.2 ms for up to 10 s."""
        with (
            self._write_lock,
            write_transaction(
                self._conn,
                seconds=10.0,
                step=0.0002,
                message=f"{self.path}: the database stayed locked for 10 s",
            ) as conn,
        ):
            yield conn

    def _audit(
        self, conn: sqlite3.Connection, actor: str, action: str, obj: str, details: Any
    ) -> None:
        conn.execute(
            "INSERT INTO access_audit (at, actor, action, object, details) VALUES (?,?,?,?,?)",
            (_stamp(self.clock()), actor, action, obj, json.dumps(details, sort_keys=True)),
        )

    def start_checkpointer(self, every: float = 1.0) -> threading.Thread:
        """A daemon thread folding the WAL back into the database every ``every`` seconds."""

        def run() -> None:
            conn = connect(self.path)
            conn.execute("PRAGMA busy_timeout=1000")
            while True:
                time.sleep(every)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # busy or locked now: the next round catches up
                    continue

        thread = threading.Thread(target=run, name="wikipact-checkpointer", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- partners ---------------------------------------------------------------------------

    def add_partner(self, identifier: str, name: str, contact: str = "", *, actor: str) -> Partner:
        if not _SLUG.fullmatch(identifier):
            raise ConfigError(
                f"partner id {identifier!r}: use lowercase letters, digits and '-' (e.g. acme-ai)"
            )
        partner = Partner(
            identifier=identifier, name=name, contact=contact, created_at=_stamp(self.clock())
        )
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO access_partners VALUES (?,?,?,?)",
                    (identifier, name, contact, partner.created_at),
                )
            except sqlite3.IntegrityError:
                raise ConfigError(f"partner {identifier!r} exists already") from None
            self._audit(
                conn, actor, "partner.add", f"partner:{identifier}", msgspec.to_builtins(partner)
            )
        return partner

    def partners(self) -> list[Partner]:
        rows = self._conn.execute(
            "SELECT identifier, name, contact, created_at FROM access_partners ORDER BY 1"
        ).fetchall()
        return [Partner(identifier=r[0], name=r[1], contact=r[2], created_at=r[3]) for r in rows]

    def partner(self, identifier: str) -> Partner:
        for partner in self.partners():
            if partner.identifier == identifier:
                return partner
        raise NotFoundError(f"no partner {identifier!r}; `wikipact partners list` shows them")

    # -- agreements -------------------------------------------------------------------------

    def add_agreement(
        self,
        partner: str,
        *,
        name: str,
        projects: Sequence[str],
        channels: Sequence[str],
        uses: Sequence[str] = (),
        languages: Sequence[str] = (),
        namespaces: Sequence[int] = (),
        quotas: Sequence[Quota] = (),
        rate_limit: float = 10.0,
        burst: int = 20,
        starts: str | None = None,
        ends: str | None = None,
        fees: Fees | None = None,
        actor: str,
    ) -> Agreement:
        self.partner(partner)
        starts = starts or self.clock().date().isoformat()
        _check_agreement(projects, channels, uses, quotas, rate_limit, burst, starts, ends, fees)
        draft = Agreement(
            identifier=0,
            partner=partner,
            name=name,
            projects=tuple(projects),
            languages=tuple(languages),
            namespaces=tuple(sorted(set(namespaces))),
            uses=tuple(uses),
            channels=tuple(channels),
            quotas=tuple(quotas),
            rate_limit=rate_limit,
            burst=burst,
            starts=starts,
            ends=ends,
            fees=fees or Fees(),
            created_at=_stamp(self.clock()),
        )
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO access_agreements (partner, record, created_at) VALUES (?,?,?)",
                (partner, b"{}", draft.created_at),
            )
            agreement = msgspec.structs.replace(draft, identifier=int(cursor.lastrowid or 0))
            conn.execute(
                "UPDATE access_agreements SET record=? WHERE identifier=?",
                (msgspec.json.encode(agreement), agreement.identifier),
            )
            self._agreement_cache.pop(partner, None)
            self._audit(
                conn, actor, "agreement.add", f"agreement:{agreement.identifier}",
                msgspec.to_builtins(agreement),
            )  # fmt: skip
        return agreement

    def agreements(
        self, partner: str | None = None, *, active_on: str | None = None
    ) -> list[Agreement]:
        if partner is not None:
            found = self._partner_agreements(partner)
        else:
            found = [
                msgspec.json.decode(r[0], type=Agreement)
                for r in self._conn.execute(
                    "SELECT record FROM access_agreements ORDER BY identifier"
                )
            ]
        if active_on is not None:
            found = [a for a in found if a.active_on(active_on)]
        return found

    def _partner_agreements(self, partner: str) -> list[Agreement]:
        """A partner's agreements, cached for ``AGREEMENT_CACHE_SECONDS`` per server process.

        Every request needs them (entitlement, rate limit); a change made by an admin reaches
        every server process within that time.
        """
        now = time.monotonic()
        cached = self._agreement_cache.get(partner)
        if cached is not None and now - cached[0] < AGREEMENT_CACHE_SECONDS:
            return cached[1]
        found = [
            msgspec.json.decode(r[0], type=Agreement)
            for r in self._conn.execute(
                "SELECT record FROM access_agreements WHERE partner=? ORDER BY identifier",
                (partner,),
            )
        ]
        self._agreement_cache[partner] = (now, found)
        return found

    def agreement(self, identifier: int, partner: str | None = None) -> Agreement:
        for agreement in self.agreements(partner):
            if agreement.identifier == identifier:
                return agreement
        raise NotFoundError(f"no agreement {identifier}")

    def end_agreement(self, identifier: int, ends: str | None = None, *, actor: str) -> Agreement:
        current = self.agreement(identifier)
        today = self.clock().date().isoformat()
        ends = parse_day(ends, what="end date").isoformat() if ends else today
        if ends < current.starts:
            raise ConfigError(f"end date {ends}: not before the start, {current.starts}")
        ended = msgspec.structs.replace(current, ends=ends, ended_at=_stamp(self.clock()))
        with self._write() as conn:
            conn.execute(
                "UPDATE access_agreements SET record=?, ended_at=? WHERE identifier=?",
                (msgspec.json.encode(ended), ended.ended_at, identifier),
            )
            self._agreement_cache.pop(current.partner, None)
            self._audit(conn, actor, "agreement.end", f"agreement:{identifier}", {"ends": ends})
        return ended

    # -- keys -------------------------------------------------------------------------------

    def create_key(
        self,
        partner: str | None,
        *,
        label: str,
        scopes: Sequence[str] = (),
        expires_at: str | None = None,
        actor: str,
    ) -> tuple[ApiKey, str]:
        """A new key: (what is stored, the key itself — shown this once, never again)."""
        if partner is None:
            scopes = (ADMIN_SCOPE,)
        else:
            self.partner(partner)
            unknown = sorted(set(scopes) - set(CHANNELS) - {"usage"})
            if unknown:
                raise ConfigError(f"unknown scopes {unknown}; choose from {[*CHANNELS, 'usage']}")
            scopes = tuple(scopes) or (*CHANNELS, "usage")
        expires_at = normalize_instant(expires_at, what="expiry")
        if expires_at is not None and stored_instant(expires_at) <= self.clock():
            raise ConfigError(f"expiry {expires_at} is not in the future")
        identifier, raw = keymod.new_key()
        key = ApiKey(
            identifier=identifier,
            partner=partner,
            label=label,
            scopes=tuple(scopes),
            created_at=_stamp(self.clock()),
            expires_at=expires_at,
        )
        with self._write() as conn:
            self._insert_key(conn, key, raw)
            self._audit(conn, actor, "key.create", f"key:{identifier}",
                        {"partner": partner, "label": label, "scopes": list(scopes)})  # fmt: skip
        return key, raw

    def _insert_key(self, conn: sqlite3.Connection, key: ApiKey, raw: str) -> None:
        conn.execute(
            "INSERT INTO access_keys (identifier, digest, partner, label, scopes, created_at, "
            "expires_at) VALUES (?,?,?,?,?,?,?)",
            (key.identifier, keymod.digest(self._secret, raw), key.partner, key.label,
             json.dumps(list(key.scopes)), key.created_at, key.expires_at),
        )  # fmt: skip

    def keys(self, partner: str | None = None, *, admins: bool = False) -> list[ApiKey]:
        if admins:
            rows = self._key_rows("WHERE partner IS NULL", ())
        elif partner is None:
            rows = self._key_rows("", ())
        else:
            rows = self._key_rows("WHERE partner=?", (partner,))
        return rows

    def key(self, identifier: str, partner: str | None = None) -> ApiKey:
        """A key by id; with ``partner``, only that partner's (others are 'not found')."""
        found = self._key_rows("WHERE identifier=?", (identifier,))
        if not found or (partner is not None and found[0].partner != partner):
            raise NotFoundError(f"no key {identifier!r}")
        return found[0]

    def _key_rows(self, where: str, params: tuple[Any, ...]) -> list[ApiKey]:
        rows = self._conn.execute(
            "SELECT identifier, partner, label, scopes, created_at, expires_at, revoked_at, "
            f"grace_until, rotated_to FROM access_keys {where} ORDER BY created_at, identifier",
            params,
        ).fetchall()
        return [
            ApiKey(
                identifier=r[0],
                partner=r[1],
                label=r[2],
                scopes=tuple(json.loads(r[3])),
                created_at=r[4],
                expires_at=r[5],
                revoked_at=r[6],
                grace_until=r[7],
                rotated_to=r[8],
            )
            for r in rows
        ]

    def revoke_key(self, identifier: str, *, actor: str, partner: str | None = None) -> ApiKey:
        self.key(identifier, partner)
        stamp = _stamp(self.clock())
        with self._write() as conn:
            conn.execute(
                "UPDATE access_keys SET revoked_at=? WHERE identifier=? AND revoked_at IS NULL",
                (stamp, identifier),
            )
            self._audit(conn, actor, "key.revoke", f"key:{identifier}", {})
        return self.key(identifier)

    def rotate_key(
        self,
        identifier: str,
        *,
        grace_seconds: int = 7 * 86400,
        actor: str,
        partner: str | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key with the same partner, label and scopes; the old one works ``grace_seconds``."""
        old = self.key(identifier, partner)
        if old.revoked_at or old.rotated_to:
            raise ConfigError(f"key {identifier} is revoked or already rotated")
        new_id, raw = keymod.new_key()
        key = ApiKey(
            identifier=new_id,
            partner=old.partner,
            label=old.label,
            scopes=old.scopes,
            created_at=_stamp(self.clock()),
            expires_at=old.expires_at,
        )
        grace = _stamp(self.clock() + timedelta(seconds=grace_seconds))
        with self._write() as conn:
            self._insert_key(conn, key, raw)
            conn.execute(
                "UPDATE access_keys SET grace_until=?, rotated_to=? WHERE identifier=?",
                (grace, new_id, identifier),
            )
            self._audit(conn, actor, "key.rotate", f"key:{identifier}",
                        {"new": new_id, "grace_until": grace})  # fmt: skip
        return key, raw

    def authenticate(self, raw: str | None, now: datetime | None = None) -> Principal:
        """The principal of a key; ``AuthenticationError`` for anything else (never says which)."""
        if not raw:
            raise AuthenticationError("an API key is required: Authorization: Bearer <key>")
        identifier = keymod.identifier_of(raw)
        row = None
        if identifier is not None:
            row = self._conn.execute(
                "SELECT digest, partner, scopes, expires_at, revoked_at, grace_until FROM "
                "access_keys WHERE identifier=?",
                (identifier,),
            ).fetchone()
        if row is None or not keymod.matches(self._secret, raw, row[0]):
            raise AuthenticationError("the API key is not valid")
        moment = now or self.clock()
        _, partner, scopes, expires_at, revoked_at, grace_until = row
        if revoked_at is not None:
            raise AuthenticationError("the API key has been revoked")
        # instants, not text: a key stored by an older version as '...+05:00' expires on time
        if expires_at is not None and moment >= stored_instant(expires_at):
            raise AuthenticationError("the API key has expired")
        if grace_until is not None and moment >= stored_instant(grace_until):
            raise AuthenticationError("the API key was rotated and its grace period is over")
        return Principal(key=str(identifier), partner=partner, scopes=tuple(json.loads(scopes)))

    # -- audit ------------------------------------------------------------------------------

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT seq, at, actor, action, object, details FROM access_audit ORDER BY seq DESC "
            "LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {"seq": r[0], "at": r[1], "actor": r[2], "action": r[3], "object": r[4],
             "details": json.loads(r[5])}
            for r in rows
        ]  # fmt: skip

    # -- entitlement ------------------------------------------------------------------------

    def grant(
        self,
        principal: Principal,
        *,
        channel: str | None,
        use: str | None = None,
        project: str | None = None,
        namespace: int | None = None,
        language_of: LanguageOf | None = None,
        at: datetime | None = None,
    ) -> Grant:
        """What ``principal`` may receive on ``channel`` now (``entitlement.entitle``)."""
        agreements = self.agreements(principal.partner) if principal.partner is not None else []
        return entitle(
            Caller(principal.partner, principal.scopes),
            agreements,
            channel=channel,
            at=at or self.clock(),
            use=use,
            project=project,
            namespace=namespace,
            language_of=language_of,
        )

    # -- limits -----------------------------------------------------------------------------

    def admit(self, principal: Principal, agreement: Agreement, channel: str,
              now: float | None = None) -> str | None:  # fmt: skip
        """Take one request from the key's rate limit and the agreement's quota, or raise
        ``LimitExceeded`` with the seconds to wait. Returns the quota period taken from (to
        ``release`` it if the request then fails), or None when no quota applies."""
        interval = 1.0 / agreement.rate_limit
        tolerance = interval * max(agreement.burst - 1, 0)
        quota = next((q for q in agreement.quotas if q.channel == channel), None)
        with self._write() as conn:
            moment = time.time() if now is None else now  # read under the lock: waiting is free
            row = conn.execute(
                "SELECT tat FROM access_rate WHERE key=?", (principal.key,)
            ).fetchone()
            tat = max(row[0] if row else moment, moment)
            if tat - moment > tolerance:
                raise LimitExceeded(
                    f"rate limit of {agreement.rate_limit:g} requests/s exceeded",
                    retry_after=tat - moment - tolerance,
                )
            conn.execute(
                "INSERT INTO access_rate VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET tat=excluded.tat",
                (principal.key, tat + interval),
            )
            if quota is None:
                return None
            period, reset = _period(quota.period, moment)
            used = conn.execute(
                "SELECT used FROM access_quota WHERE agreement=? AND channel=? AND period=?",
                (agreement.identifier, channel, period),
            ).fetchone()
            if used is not None and used[0] >= quota.limit:
                raise LimitExceeded(
                    f"the {'daily' if quota.period == 'day' else 'monthly'} quota of "
                    f"{quota.limit} {channel} requests is used up",
                    retry_after=reset - moment,
                )
            conn.execute(
                "INSERT INTO access_quota VALUES (?,?,?,1) ON CONFLICT(agreement, channel, period) "
                "DO UPDATE SET used=used+1",
                (agreement.identifier, channel, period),
            )
        return period

    def release(self, agreement: Agreement, channel: str, period: str) -> None:
        """Give back a quota unit taken by ``admit`` for a request that did not succeed."""
        with self._write() as conn:
            conn.execute(
                "UPDATE access_quota SET used=MAX(used-1, 0) WHERE agreement=? AND channel=? AND "
                "period=?",
                (agreement.identifier, channel, period),
            )

    def quotas(self, partner: str, now: float | None = None) -> list[dict[str, Any]]:
        moment = time.time() if now is None else now
        today = datetime.fromtimestamp(moment, UTC).date().isoformat()
        out = []
        for agreement in self.agreements(partner, active_on=today):
            for quota in agreement.quotas:
                period, reset = _period(quota.period, moment)
                row = self._conn.execute(
                    "SELECT used FROM access_quota WHERE agreement=? AND channel=? AND period=?",
                    (agreement.identifier, quota.channel, period),
                ).fetchone()
                used = row[0] if row else 0
                out.append({
                    "agreement": agreement.identifier, "channel": quota.channel,
                    "period": period, "limit": quota.limit, "used": used,
                    "remaining": max(quota.limit - used, 0),
                    "resets_at": _stamp(datetime.fromtimestamp(reset, UTC)),
                })  # fmt: skip
        return out

    # -- metering ---------------------------------------------------------------------------

    def record(
        self,
        event: str,
        principal: Principal,
        *,
        channel: str,
        project: str,
        articles: int,
        bytes_sent: int,
        status: int,
        agreement: Agreement | None = None,
        snapshot: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Meter one delivery; the same ``event`` id twice is recorded once."""
        moment = now or self.clock()
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO access_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (event, _stamp(moment), moment.date().isoformat(), principal.partner or "",
                 agreement.identifier if agreement else None, principal.key, channel, project,
                 articles, bytes_sent, status, snapshot),
            )  # fmt: skip

    def usage(
        self, partner: str, *, since: str | None = None, until: str | None = None
    ) -> list[UsageRow]:
        """Successful deliveries by day, channel and project (days inclusive, YYYY-MM-DD)."""
        rows = self._conn.execute(
            "SELECT day, channel, project, COUNT(*), SUM(articles), SUM(bytes) FROM access_usage "
            "WHERE partner=? AND status BETWEEN 200 AND 299 AND day >= ? AND day <= ? "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            (partner, since or "0000-00-00", until or "9999-99-99"),
        ).fetchall()
        return [
            UsageRow(day=r[0], channel=r[1], project=r[2], requests=r[3], articles=r[4], bytes=r[5])
            for r in rows
        ]

    # -- statements -------------------------------------------------------------------------

    def statement(self, partner: str, period: str) -> Statement:
        """Usage of ``period`` (YYYY-MM) priced by each agreement's fee schedule."""
        self.partner(partner)
        if not _MONTH.fullmatch(period):
            raise ConfigError(f"period {period!r}: use YYYY-MM")
        year, month = int(period[:4]), int(period[5:])
        first = date(year, month, 1).isoformat()
        last = date(year, month, calendar.monthrange(year, month)[1]).isoformat()
        lines: list[StatementLine] = []
        currency = None
        total = Decimal(0)
        requests = bytes_total = 0
        for agreement in self.agreements(partner):
            if agreement.starts > last or (agreement.ends is not None and agreement.ends < first):
                continue
            fees = agreement.fees
            if currency not in (None, fees.currency):
                raise ConfigError(f"partner {partner}'s agreements use several currencies")
            currency = fees.currency
            flat = Decimal(fees.flat_monthly)
            if flat:
                lines.append(_line(agreement.identifier, "flat_monthly", Decimal(1), flat))
            usage = self._conn.execute(
                "SELECT channel, COUNT(*), SUM(bytes), SUM(snapshot IS NOT NULL) FROM access_usage "
                "WHERE partner=? AND agreement=? AND status BETWEEN 200 AND 299 AND day BETWEEN ? "
                "AND ? GROUP BY 1 ORDER BY 1",
                (partner, agreement.identifier, first, last),
            ).fetchall()
            sent = sum(r[2] for r in usage)
            downloads = sum(r[3] for r in usage)
            requests += sum(r[1] for r in usage)
            bytes_total += sent
            for channel, count, _, _ in usage:
                price = Decimal(fees.per_1000_requests.get(channel, "0"))
                if price:
                    lines.append(
                        _line(
                            agreement.identifier,
                            f"requests:{channel}",
                            Decimal(count) / 1000,
                            price,
                        )
                    )
            if Decimal(fees.per_gb) and sent:
                lines.append(
                    _line(
                        agreement.identifier, "bytes", Decimal(sent) / 10**9, Decimal(fees.per_gb)
                    )
                )
            if Decimal(fees.per_snapshot) and downloads:
                lines.append(
                    _line(
                        agreement.identifier,
                        "snapshots",
                        Decimal(downloads),
                        Decimal(fees.per_snapshot),
                    )
                )
        for line in lines:
            total += Decimal(line.amount)
        return Statement(
            partner=partner,
            period=period,
            currency=currency or "USD",
            lines=lines,
            total=money(total),
            requests=requests,
            bytes=bytes_total,
        )


def _line(agreement: int, item: str, quantity: Decimal, price: Decimal) -> StatementLine:
    return StatementLine(
        agreement=agreement,
        item=item,
        quantity=str(quantity.normalize()) if quantity else "0",
        unit_price=str(price),
        amount=money(quantity * price),
    )


def _period(kind: str, moment: float) -> tuple[str, float]:
    """The quota period containing ``moment`` and when it ends (epoch seconds)."""
    now = datetime.fromtimestamp(moment, UTC)
    if kind == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.date().isoformat(), (start + timedelta(days=1)).timestamp()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(start.year, start.month)[1]
    return start.strftime("%Y-%m"), (start + timedelta(days=days)).timestamp()


def _check_agreement(
    projects: Sequence[str],
    channels: Sequence[str],
    uses: Sequence[str],
    quotas: Sequence[Quota],
    rate_limit: float,
    burst: int,
    starts: str,
    ends: str | None,
    fees: Fees | None,
) -> None:
    problems = []
    if not projects:
        problems.append("projects: at least one (or '*')")
    if not channels or set(channels) - set(CHANNELS):
        problems.append(f"channels: choose from {list(CHANNELS)}")
    if set(uses) - set(USES):
        problems.append(f"uses: choose from {list(USES)}")
    for quota in quotas:
        if quota.channel not in CHANNELS or quota.period not in PERIODS or quota.limit < 0:
            problems.append(f"quota {quota}: channel in {list(CHANNELS)}, period day|month")
    if rate_limit <= 0 or burst < 1:
        problems.append("rate_limit must be > 0 and burst >= 1")
    try:
        first = parse_day(starts, what="starts")
        if ends is not None and parse_day(ends, what="ends") < first:
            problems.append("ends: not before starts")
    except ConfigError as exc:
        problems.append(str(exc))
    if fees is not None:
        try:
            amounts = [fees.flat_monthly, fees.per_gb, fees.per_snapshot,
                       *fees.per_1000_requests.values()]  # fmt: skip
            if any(Decimal(a) < 0 for a in amounts):
                problems.append("fees: amounts must be >= 0")
        except ArithmeticError:
            problems.append("fees: amounts are decimal strings such as '12.50'")
    if problems:
        raise ConfigError("agreement: " + "; ".join(problems))
