"""Threads on either side of the encoder: one reads ahead, one writes behind, each through a
queue of a few batches, so reading, encoding and writing overlap with bounded memory. The
encoder releases the GIL, so these threads run while it works."""

from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, Iterator, Optional, TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def _put(q: "queue.Queue[object]", item: object, stop: threading.Event) -> bool:
    """Put unless told to stop (a full queue must not block a stopping thread forever)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``source``, produced by a thread that stays at most ``depth`` items ahead.
    An error in the thread is raised here; leaving the loop early stops the thread."""
    q: "queue.Queue[object]" = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                if not _put(q, item, stop):
                    return
            _put(q, _END, stop)
        except BaseException as e:  # handed to the consumer, which raises it
            _put(q, _Failure(e), stop)

    thread = threading.Thread(target=produce, name="tokembed-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)  # a read blocked on standard input must not hold up an exit


class WriteBehind(Generic[T]):
    """Calls ``consume(item)`` in a thread for each item ``put``, at most ``depth`` behind.
    ``close()`` waits for the last one; an error in the thread is raised by the next ``put``
    or by ``close``. ``abandon()`` stops without consuming what is queued."""

    def __init__(self, consume: Callable[[T], None], depth: int = 2):
        self._consume = consume
        self._queue: "queue.Queue[object]" = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="tokembed-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END or self._stop.is_set():
                return
            try:
                self._consume(item)  # type: ignore[arg-type]
            except BaseException as e:
                self._error = e
                self._stop.set()
                return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: T) -> None:
        self._raise_if_failed()
        if not _put(self._queue, item, self._stop):
            self._raise_if_failed()

    def close(self) -> None:
        self._raise_if_failed()
        _put(self._queue, _END, self._stop)
        self._thread.join()
        self._raise_if_failed()

    def abandon(self) -> None:
        self._stop.set()
        try:
            self._queue.put_nowait(_END)
        except queue.Full:
            pass
        self._thread.join(timeout=5)
