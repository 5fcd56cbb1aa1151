"""Edges of the retry policy that the main policy tests leave open (found by `make mutation`)."""

from __future__ import annotations

from fastpix_provider.retry import RetryPolicy, parse_retry_after

policy = RetryPolicy(max_attempts=4, jitter=lambda delay: delay)


def test_a_lost_create_is_not_retried_unless_the_caller_proves_it_never_left() -> None:
    # The safe default: without proof that FastPix never saw the POST, it may have created the media.
    assert not policy.should_retry("POST", 1)
    assert not policy.should_retry("POST", 1, status=None)


def test_retry_after_zero_or_a_fraction_means_retry_soon_not_absent() -> None:
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("0.5") == 0.5


def test_retry_after_nan_is_treated_as_absent() -> None:
    assert parse_retry_after("nan") is None
