"""Unique, unguessable ids for calls, audit records and notifications, without a system call each.

``uuid.uuid4()`` reads ``os.urandom`` for every id; on sandboxed hosts (gVisor,
some VMs) that system call alone costs ~15 µs, and a tool call makes three
ids. Here the process draws one random key once and each id is a keyed
BLAKE2b of a counter: as unpredictable as the key, unique within the process
by the counter and across processes by the key (drawn again in a forked
child). Ids are 32 lowercase hex digits, like ``uuid4().hex``.
"""

from __future__ import annotations

import hashlib
import itertools
import os

__all__ = ["new_id"]


def _reseed() -> None:
    global _key, _counter
    _key = os.urandom(32)
    _counter = itertools.count()


_key: bytes
_counter: itertools.count[int]
_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A new id: 32 hex digits."""
    return hashlib.blake2b(next(_counter).to_bytes(8, "little"), key=_key, digest_size=16).hexdigest()
