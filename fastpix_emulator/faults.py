"""The emulator's test hooks: a journal of the requests it answered, and injected faults.

A fault rule says what to do (add latency, answer an error status, answer 429 with Retry-After, drop
the connection), to which requests (method, path regex), how often (a share of matching requests,
drawn from a seeded generator so runs repeat) and how many times (a count after which it retires).
An `error` or `drop` rule with `after: true` strikes once the request has been acted on: the change
is made but its answer is lost, as when a gateway times out behind a working service.

An `error` rule answers any status from 400 to 599 (524, a gateway's "a timeout occurred", included),
with the body its `body` option names:
- `envelope` (default): FastPix's error envelope `{"success": false, "error": {code, message, description}}`;
- `html`: the HTML page of a gateway or web server in front of the API (content-type text/html);
- `empty`: no body at all (content-length 0, no content-type).
A `rate_limit` rule answers 429 with Retry-After and takes the same `body` option.

    {"kind": "error", "status": 524, "method": "POST", "path": "^/v1/on-demand$", "after": true, "body": "html", "count": 1}

A `drop` rule with `after_bytes: N` cuts an upload short: the first N bytes of the request body reach
the route (an upload URL keeps them, as a storage service keeps what arrived), the rest is read and
thrown away, and the connection dies before an answer, as when a network fails mid-upload.

    {"kind": "drop", "method": "PUT", "path": "^/_emulator/storage/", "after_bytes": 3000000, "count": 1}
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = ("latency", "error", "rate_limit", "drop")
FAULT_BODIES = ("envelope", "html", "empty")


@dataclass
class FaultRule:
    kind: str
    method: str | None = None
    path: str | None = None
    rate: float = 1.0
    count: int | None = None
    latency_ms: int = 0
    status: int = 503
    retry_after: int = 1
    after: bool = False
    body: str = "envelope"
    after_bytes: int | None = None
    id: int = 0
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of: {', '.join(FAULT_KINDS)}, got {self.kind!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be at least 1 when given, got {self.count}")
        if self.after and self.kind not in ("error", "drop"):
            raise ValueError("after applies to error and drop faults only")
        if self.body not in FAULT_BODIES:
            raise ValueError(f"body must be one of: {', '.join(FAULT_BODIES)}, got {self.body!r}")
        if self.after_bytes is not None and (self.kind != "drop" or self.after or self.after_bytes < 0):
            raise ValueError("after_bytes applies to drop faults without after, and is a number of bytes (0 or more)")
        if self.body != "envelope" and self.kind not in ("error", "rate_limit"):
            raise ValueError("body applies to error and rate_limit faults only")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {self.status}")
        try:
            self._pattern = re.compile(self.path) if self.path else None
        except re.error as exc:
            raise ValueError(f"path must be a regular expression: {exc}") from None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        names = {"kind", "method", "path", "rate", "count", "latency_ms", "status", "retry_after", "after", "body",
                 "after_bytes"}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(names))}")
        if "kind" not in data:
            raise ValueError("kind is required")
        return cls(**data)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern")
        return data


@dataclass(frozen=True)
class Decision:
    """What the faults say about one request: wait this long, then answer normally or not at all."""

    delay: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    drop: bool = False
    after: bool = False
    body: str = "envelope"
    after_bytes: int | None = None


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._next_id = 1

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def decide(self, method: str, path: str) -> Decision:
        delay = 0.0
        status: int | None = None
        retry_after: int | None = None
        drop = False
        after = False
        body = "envelope"
        after_bytes: int | None = None
        with self._lock:
            if not self._rules:
                return Decision()
            for rule in list(self._rules):
                if not rule.matches(method, path) or self._random.random() >= rule.rate:
                    continue
                if rule.kind == "latency":
                    delay += rule.latency_ms / 1000
                elif status is None and not drop:
                    after = rule.after
                    body = rule.body
                    if rule.kind == "drop":
                        drop = True
                        after_bytes = rule.after_bytes
                    elif rule.kind == "rate_limit":
                        status, retry_after = 429, rule.retry_after
                    else:
                        status = rule.status
                else:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
        return Decision(delay=delay, status=status, retry_after=retry_after, drop=drop, after=after, body=body,
                        after_bytes=after_bytes)


class Journal:
    """The last requests the emulator answered, oldest first (bounded so a long soak cannot grow it)."""

    def __init__(self, limit: int = 200_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int, started: float) -> None:
        entry = {"method": method, "path": path, "status": status, "time": started,
                 "durationMs": round((time.time() - started) * 1000, 3)}
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
