"""The ``tqsdk`` source (SPEC §4.3): history, contract catalog, sessions, KQ.m main mapping, live ticks.

The only package allowed to import ``tqsdk``, always lazily inside functions, so importing it
needs neither the network nor tqsdk itself.
"""

from ghtrader.sources.tqsdk.api import (
    ApiFactory,
    MissingCredentials,
    RejectedCredentials,
    RetriesExhausted,
    RetryPolicy,
    TqCredentials,
    TqSdkError,
    credentials_from_settings,
    tqapi_factory,
)
from ghtrader.sources.tqsdk.history import TqSdkSource
from ghtrader.sources.tqsdk.mainmap import events_to_schedule, today_bias, tqsdk_schedule

__all__ = [
    "ApiFactory",
    "MissingCredentials",
    "RejectedCredentials",
    "RetriesExhausted",
    "RetryPolicy",
    "TqCredentials",
    "TqSdkError",
    "TqSdkSource",
    "credentials_from_settings",
    "events_to_schedule",
    "today_bias",
    "tqapi_factory",
    "tqsdk_schedule",
]
