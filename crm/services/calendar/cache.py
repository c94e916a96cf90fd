"""The ETags (and recent bodies) of rendered feeds, per process, under the summary of the data
they were made of.

A calendar client asks every few minutes whether its feed changed; answering that by
rendering the feed anew and hashing it costs as much as sending it. The feeds' modules sum
their data up in one cheap statement (``state_of_events``, ``state_of_follow_ups``); a feed
rendered once is known by that summary until the data changes. A body is kept for the few
feeds fetched last, the ETags of many more. Each worker process keeps its own: a restart only
costs one render.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Rendered:
    etag: str  # the strong ETag, quoted: the SHA-256 of the bytes
    last_modified: datetime | None
    body: bytes | None  # None once evicted from the bodies kept


class FeedCache:
    def __init__(self, entries: int = 256, bodies: int = 8) -> None:
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._limit = entries
        self._bodies = bodies
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def render(
        self, key: Hashable, last_modified: datetime | None, make: Callable[[], bytes]
    ) -> tuple[Rendered, bytes]:
        """The body ``make`` gives (kept with its ETag under ``key``)."""
        body = make()
        entry = Rendered(
            etag='"' + hashlib.sha256(body).hexdigest() + '"',
            last_modified=last_modified,
            body=body,
        )
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)
            # Only the most recent few keep their bytes.
            for older in list(self._entries)[: -self._bodies]:
                kept = self._entries[older]
                if kept.body is not None:
                    self._entries[older] = Rendered(kept.etag, kept.last_modified, None)
        return entry, body

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


feeds = FeedCache()
