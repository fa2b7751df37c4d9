"""Unique, unguessable, time-ordered ids for calls, audit records and notifications.

Each id is a UUIDv7 (RFC 9562) as 32 lowercase hex digits: 48 bits of Unix
time in milliseconds, then 74 bits that nobody can guess. Time first, because
the audit stores index record and call ids: ids that grow with time land at
the end of those indexes, so a commit touches a few index pages instead of a
random page per record (with random ids, SQLite inserts cost twice as much
by 50,000 records and keep getting dearer; bench/bench_audit.py).

The unguessable part is a keyed BLAKE2b of a counter, not ``os.urandom`` per
id: on sandboxed hosts (gVisor, some VMs) that system call alone costs
~15 µs, and a tool call makes three ids. The process draws one random key
once (again in a forked child); ids are unique within the process by the
counter and across processes by the key.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time

__all__ = ["new_id", "record_id"]

# The hex digit after the 74 random bits' first 12: the RFC 9562 variant (binary 10) and 2 random bits.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _reseed() -> None:
    global _keyed, _counter, _process_part, _records
    _keyed = hashlib.blake2b(key=os.urandom(32), digest_size=10)  # copied per id: cheaper than keying anew
    _counter = itertools.count()
    part = os.urandom(6).hex()  # 48 random bits, 46 of them kept: this process's part of its record ids
    _process_part = f"{part[:3]}{_VARIANT[part[3]]}{part[4:]}"
    _records = itertools.count()


_keyed: hashlib.blake2b
_counter: itertools.count[int]
_process_part: str
_records: itertools.count[int]
_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A new id: a UUIDv7 as 32 hex digits (``uuid.UUID(hex=new_id()).version == 7``)."""
    keyed = _keyed.copy()
    keyed.update(next(_counter).to_bytes(8, "little"))
    secret = keyed.hexdigest()  # 20 hex digits: 12 + 2 + 60 bits are used
    return f"{time.time_ns() // 1_000_000:012x}7{secret[:3]}{_VARIANT[secret[3]]}{secret[4:19]}"


def record_id() -> str:
    """A new audit record id: a UUIDv7 like :func:`new_id`, unique and cheaper, but not unguessable.

    After the time come 46 random bits drawn once per process and a 28-bit
    counter: unique within the process (the counter would have to wrap within
    one millisecond), and across processes unless two draw the same bits.
    For what is no secret and is made twice per tool call: the records' own ids.
    """
    # printf-style: a quarter cheaper than an f-string's format specs, which are parsed on every call
    return "%012x7%s%07x" % (time.time_ns() // 1_000_000, _process_part, next(_records) & 0xFFFFFFF)  # noqa: UP031
