"""The retry policy: what is retried, and how long it waits."""

from __future__ import annotations

import pytest

from fastpix_provider.retry import RetryPolicy, parse_retry_after

policy = RetryPolicy(max_attempts=4, initial_delay=1.0, max_delay=10.0, jitter=lambda delay: delay)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_idempotent_calls_retry_the_statuses_fastpix_lists(method: str, status: int) -> None:
    assert policy.should_retry(method, 1, status=status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(status: int) -> None:
    assert not policy.should_retry("GET", 1, status=status)


def test_connection_errors_are_retried_for_idempotent_calls() -> None:
    assert policy.should_retry("DELETE", 1, status=None, request_sent=True)


def test_a_create_is_retried_only_when_fastpix_never_saw_it() -> None:
    assert policy.should_retry("POST", 1, status=None, request_sent=False)
    assert not policy.should_retry("POST", 1, status=None, request_sent=True)
    assert not policy.should_retry("POST", 1, status=503)
    assert not policy.should_retry("POST", 1, status=500)


def test_a_rate_limited_create_is_retried_because_it_was_turned_away() -> None:
    assert policy.should_retry("POST", 1, status=429)


def test_attempts_are_bounded() -> None:
    assert policy.should_retry("GET", 3, status=503)
    assert not policy.should_retry("GET", 4, status=503)


def test_backoff_doubles_and_is_capped() -> None:
    assert [policy.delay(attempt) for attempt in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_retry_after_wins_over_backoff_within_a_cap() -> None:
    assert policy.delay(1, retry_after=3) == 3
    assert policy.delay(5, retry_after=0) == 0
    assert policy.delay(1, retry_after=3600) == policy.max_retry_after


def test_default_jitter_stays_within_half_to_full_delay() -> None:
    jittered = RetryPolicy()
    delays = [jittered.delay(3) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(("header", "seconds"), [("1", 1.0), (" 2.5 ", 2.5), ("-1", None), ("soon", None), (None, None),
                                                 ("Wed, 21 Oct 2015 07:28:00 GMT", None)])
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("status", [505, 520, 521, 522, 524, 529, 598, 599])
def test_idempotent_calls_retry_every_5xx_a_gateway_may_send(method: str, status: int) -> None:
    assert policy.should_retry(method, 1, status=status)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504, 520, 524, 598])
def test_a_create_answered_with_a_5xx_or_408_is_never_retried(status: int) -> None:
    assert not policy.should_retry("POST", 1, status=status)


@pytest.mark.parametrize("status", [200, 301, 404, 418, 600, 999])
def test_statuses_outside_408_429_and_5xx_are_not_retried(status: int) -> None:
    assert not policy.should_retry("GET", 1, status=status)
