"""When to retry a FastPix request and how long to wait: a few pure functions, so tests pin them down.

FastPix's spec (x-fastpix-retries) retries 408, 429, 500, 502, 503 and 504 and connection errors with
exponential backoff from 1 s, capped at 10 s. We follow it for GET, PATCH and DELETE, which are
idempotent, and widen it to every 5xx: gateways in front of an API answer 520-524 (Cloudflare), 529 or
598 when the origin is slow or unreachable, and for an idempotent call a retry is always safe. We make
more attempts than the spec's 3: an unattended pipeline run that fails costs more than one that waits,
and under a 20% error rate 3 attempts lose about one call in 125, 8 attempts one in 390,000 (at most
about 45 s of waiting). A POST that creates a media is only retried when it was turned away (429) or
provably never reached FastPix (the connection was refused); anything else could duplicate the media,
so the caller must first look for what the failed POST may have created.

An answer that is not FastPix's at all (client.ProtocolError: HTML, a router's 404, a broken envelope)
is never retried: it almost always means a wrong API URL or a proxy, and failing fast says so sooner.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


def is_retryable_status(status: int) -> bool:
    """408, 429 and every 5xx: the statuses after which an idempotent call is worth sending again."""
    return status in RETRYABLE_CLIENT_STATUSES or 500 <= status <= 599


def _full_jitter(delay: float) -> float:
    return random.uniform(delay / 2, delay)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    initial_delay: float = 1.0
    max_delay: float = 10.0
    multiplier: float = 2.0
    max_retry_after: float = 60.0
    jitter: Callable[[float], float] = field(default=_full_jitter, compare=False)

    def should_retry(self, method: str, attempt: int, *, status: int | None = None, request_sent: bool = True) -> bool:
        """`attempt` counts from 1. `status` is None when no HTTP answer came back."""
        if attempt >= self.max_attempts:
            return False
        if status == 429:
            # Rate limiting turns a request away before it is acted on: safe for any method.
            return True
        if method.upper() not in IDEMPOTENT_METHODS:
            # Only safe when FastPix never saw the request.
            return status is None and not request_sent
        if status is None:
            return True
        return is_retryable_status(status)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`. A server's Retry-After wins when given."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)
        return self.jitter(backoff)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; HTTP dates are rare from APIs and treated as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    # NaN compares false with everything: treat it, like a negative value, as absent.
    return seconds if seconds >= 0 else None
