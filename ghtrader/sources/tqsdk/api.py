"""TqSdk connection plumbing: credentials, the API factory, error classification and retries.

This package is the only place allowed to import ``tqsdk``, and it does so lazily inside
functions: importing ``ghtrader.sources.tqsdk`` never touches the network (TqApi logs in on
construction). Everything else receives an *API factory* (a callable returning a TqApi-like
object), so tests inject a fake serving real ticks through the same code path.

Traps: TqSdk raises bare ``Exception`` with Chinese messages for most failures (rejected login,
missing Pro feature ``tq_dl``, unknown symbol), ``AssertionError`` when a history download breaks
mid-way and ``TqTimeoutError`` on timeouts; the password must never reach a log line or an error.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pydantic import SecretStr

log = logging.getLogger(__name__)
T = TypeVar("T")
ErrorKind = Literal["transient", "no_symbol", "fatal"]


class TqSdkError(RuntimeError):
    """An expected TqSdk failure, reported to the user as one line."""


class MissingCredentials(TqSdkError):
    """``TQSDK_USER`` / ``TQSDK_PASSWORD`` absent from the environment and ``.env``."""


class RejectedCredentials(TqSdkError):
    """The TqSdk auth service refused the user / password (or the account lacks a feature)."""


class TqUnreachable(TqSdkError):
    """The TqSdk service could not be reached (network); transient for retries."""


class RetriesExhausted(TqSdkError):
    """A transient error persisted through every retry; the day is *not* marked no-data."""


@dataclass(frozen=True)
class TqCredentials:
    user: str
    password: SecretStr

    def __repr__(self) -> str:
        return f"TqCredentials(user={self.user!r}, password=***)"


def credentials_from_settings(settings: Any) -> TqCredentials:
    """Credentials from ``Settings.tqsdk_user`` / ``tqsdk_password``; one-line error naming what is missing."""
    user = (getattr(settings, "tqsdk_user", None) or "").strip()
    secret = getattr(settings, "tqsdk_password", None)
    password = secret.get_secret_value() if isinstance(secret, SecretStr) else (secret or "")
    missing = [name for name, v in (("TQSDK_USER", user), ("TQSDK_PASSWORD", password)) if not v]
    if missing:
        raise MissingCredentials(
            f"{' and '.join(missing)} not set: put TqSdk credentials in the environment or .env "
            "(TQSDK_USER=..., TQSDK_PASSWORD=...)"
        )
    return TqCredentials(user=user, password=SecretStr(password))


class ApiFactory(Protocol):
    """Build a connected TqApi-like object; ``backtest=(start, end)`` selects TqBacktest mode."""

    def __call__(self, *, backtest: tuple[dt.date, dt.date] | None = None) -> Any: ...


def scrub(message: str, secret: str | None) -> str:
    """First line of ``message``, at most 300 chars, with the password masked."""
    text = (message.strip().splitlines() or [""])[0]
    if secret:
        text = text.replace(secret, "***")
    return text[:300]


def tqapi_factory(creds: TqCredentials) -> ApiFactory:
    """The real factory: ``TqApi(auth=TqAuth(user, password))``, failing with one clear line."""

    def make(*, backtest: tuple[dt.date, dt.date] | None = None) -> Any:
        try:
            from tqsdk import TqApi, TqAuth, TqBacktest
        except ImportError:
            raise TqSdkError("tqsdk is not installed: pip install 'ghtrader[tqsdk]'") from None
        secret = creds.password.get_secret_value()
        bt = TqBacktest(start_dt=backtest[0], end_dt=backtest[1]) if backtest else None
        try:
            return TqApi(auth=TqAuth(creds.user, secret), backtest=bt, disable_print=True)
        except Exception as exc:  # noqa: BLE001 - TqSdk raises bare Exception; classify and rewrap
            detail = scrub(f"{type(exc).__name__}: {exc}", secret)
            if "认证失败" in str(exc) or "401" in str(exc):
                raise RejectedCredentials(
                    f"TqSdk rejected the credentials of TQSDK_USER={creds.user!r}: {detail}"
                ) from None
            if classify_error(exc) == "transient":
                raise TqUnreachable(f"cannot reach the TqSdk service: {detail}") from None
            raise TqSdkError(f"TqSdk login failed: {detail}") from None

    return make


def classify_error(exc: BaseException) -> ErrorKind:
    """``transient`` (network, timeout, broken download), ``no_symbol`` or ``fatal`` (everything else)."""
    text = str(exc)
    if "不存在" in text or "does not exist" in text:
        return "no_symbol"
    if isinstance(exc, TqSdkError):
        return "transient" if isinstance(exc, TqUnreachable) else "fatal"
    if isinstance(exc, TimeoutError | ConnectionError | OSError | AssertionError):
        return "transient"
    if type(exc).__name__ in ("TqTimeoutError", "ConnectionClosed", "ConnectionClosedError"):
        return "transient"
    return "transient" if ("超时" in text or "timed out" in text.lower()) else "fatal"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base_s, 2*base_s, ...`` capped at ``max_s``; tests pass a no-op ``sleep``."""

    attempts: int = 4
    base_s: float = 2.0
    max_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, failure: int) -> float:
        return min(self.max_s, self.base_s * 2 ** (failure - 1))


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    on_transient: Callable[[], None] | None = None,
) -> T:
    """Run ``fn``; retry transient errors with backoff, re-raise everything else unchanged.

    ``on_transient`` runs before each retry (e.g. rebuild a TqApi whose connection broke).
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - classified below
            if classify_error(exc) != "transient":
                raise
            if attempt == policy.attempts:
                raise RetriesExhausted(
                    f"{what}: still failing after {policy.attempts} attempts: {scrub(str(exc), None)}"
                ) from None
            wait = policy.delay(attempt)
            log.warning(
                "%s: transient error (%s), retry %d in %.1fs", what, type(exc).__name__, attempt, wait
            )
            if on_transient is not None:
                on_transient()
            policy.sleep(wait)
    raise AssertionError("unreachable")
