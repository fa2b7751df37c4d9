"""Redaction: what is removed before anything reaches the audit trail or a log.

Two mechanisms, applied together:

* **Declared secrets.** A tool's input schema marks a field secret when the
  field is a pydantic ``SecretStr``/``SecretBytes`` (``writeOnly`` /
  ``format: password`` in the schema) or carries ``json_schema_extra={"secret":
  True}``. Such a value is replaced whole, at any depth: nested models,
  lists, dicts, optional and union fields. Keys named like credentials
  (``password``, ``api_key``, ``authorization``, ...) in free-form objects are
  treated the same way.
* **Credential shapes.** Every string, anywhere, is scanned for values that
  look like credentials: Stripe secret and restricted keys, GitHub tokens,
  Slack tokens, JWTs, ``Authorization`` headers, ``Bearer`` tokens and
  passwords inside URLs.

:class:`Redactor` can be given a key: a redacted value is then replaced by a
short keyed HMAC of it, so the audit trail can show that two calls used the
same credential without storing the credential (RELIABILITY.md's "secrets
stored only as keyed HMACs"). Without a key nothing of the value is kept.

:func:`redact_text` is for log lines and error texts; :class:`RedactingFilter`
is a ``logging.Filter`` to attach to log handlers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..secrets import scrub

__all__ = ["REDACTED", "RedactingFilter", "Redactor", "redact_arguments", "redact_text"]

REDACTED = "[REDACTED]"
_MAX_DEPTH = 64

_SECRET_KEYS = frozenset(
    {
        "apikey",
        "apisecret",
        "accesstoken",
        "authorization",
        "clientsecret",
        "cookie",
        "idtoken",
        "passphrase",
        "password",
        "passwd",
        "privatekey",
        "proxyauthorization",
        "refreshtoken",
        "secret",
        "secretkey",
        "sessiontoken",
        "setcookie",
        "token",
        "xapikey",
    }
)

_TOKEN = r"[A-Za-z0-9_-]"
_START = r"(?<![A-Za-z0-9_-])"


@dataclass(frozen=True)
class _Shape:
    kind: str
    pattern: re.Pattern[str]
    keep: int = 0  # leading group to keep (the "Bearer " or "user:" part)


_SHAPES: tuple[_Shape, ...] = (
    _Shape(
        "authorization",
        re.compile(
            r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
            r"(?:(?:bearer|basic|token|digest|bot|apikey)\s+)?)[^\s\"',;]+"
        ),
        keep=1,
    ),
    # A bare "Bearer <token>": the token must look random, not like "bearer of this letter".
    _Shape("bearer", re.compile(r"(?i)\b(bearer\s+)(?=[\w.~+/-]*[\d.~+/-])[\w.~+/-]{8,}=*"), keep=1),
    _Shape("url_password", re.compile(r"(://[^/\s:@]+:)[^/\s@]+(?=@)"), keep=1),
    _Shape("jwt", re.compile(_START + rf"eyJ{_TOKEN}{{7,}}\.{_TOKEN}{{2,}}\.{_TOKEN}*")),
    _Shape("stripe_key", re.compile(_START + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}")),
    _Shape("stripe_webhook_secret", re.compile(_START + r"whsec_[A-Za-z0-9+/=]{16,}")),
    _Shape("github_token", re.compile(_START + r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,})")),
    _Shape("slack_token", re.compile(_START + r"xox[abposr]-[A-Za-z0-9-]{8,}")),
)


# Matches where any shape matches (each alternative keeps its own lookarounds): when it finds
# nothing, no shape would replace anything.
def _alternative(pattern: str) -> str:
    if pattern.startswith("(?i)"):  # a global flag must become a scoped one inside an alternation
        return f"(?i:{pattern[4:]})"
    return f"(?:{pattern})"


_ANY_SHAPE = re.compile("|".join(_alternative(shape.pattern.pattern) for shape in _SHAPES))


def _may_hold_a_shape(text: str) -> bool:
    """False when no shape can match: each needs one of these pieces (a few scans, cheaper than the regex).

    ``authorization``/``bearer`` (any case), ``://`` (a URL password), ``eyJ`` (a JWT), ``_``
    (Stripe, GitHub and webhook keys) or ``xox`` (Slack tokens).
    """
    if "_" in text or "://" in text or "eyJ" in text or "xox" in text or not text.isascii():
        return True  # non-ASCII: the shapes' (?i) takes U+0131 and U+0130 for "i"; lower() does not
    lowered = text.lower()
    return "bearer" in lowered or "authorization" in lowered


def storable(text: str) -> str:
    """``text`` without what some stores refuse: NUL characters and lone surrogates become U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _normal_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _secret_marked(schema: Mapping[str, Any]) -> bool:
    return (
        schema.get("secret") is True or schema.get("writeOnly") is True or schema.get("format") == "password"
    )


class Redactor:
    """Redacts argument trees and texts; ``hmac_key`` keeps a keyed fingerprint of each secret."""

    def __init__(self, *, hmac_key: bytes | None = None) -> None:
        self._key = hmac_key

    def marker(self, kind: str | None, secret: str) -> str:
        label = f"REDACTED:{kind}" if kind else "REDACTED"
        if self._key is None:
            return f"[{label}]"
        digest = hmac.new(self._key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
        return f"[{label}:hmac={digest}]"

    def text(self, text: str) -> str:
        """``text`` with known secrets and credential shapes replaced, made :func:`storable`."""
        text = storable(scrub(text))
        if not _may_hold_a_shape(text) or _ANY_SHAPE.search(text) is None:  # the common cases
            return text
        for shape in _SHAPES:
            text = shape.pattern.sub(self._replacer(shape), text)
        return text

    def _replacer(self, shape: _Shape) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            kept = match.group(shape.keep) if shape.keep else ""
            return kept + self.marker(shape.kind, match.group(0)[len(kept) :])

        return replace

    def arguments(
        self, arguments: Mapping[str, Any], schema: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A JSON-safe copy of ``arguments`` with secrets replaced, guided by the tool's input schema."""
        if schema and not _marks_secrets(schema):  # the common case: nothing in the schema to follow
            schema = None
        if schema is None:
            flat = self._flat(arguments)
            if flat is not None:
                return flat
        walker = _Walker(self, schema or {})
        result = walker.value(dict(arguments), [schema] if schema else [], 0)
        assert isinstance(result, dict)
        return result

    def _flat(self, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the walker makes of flat arguments (strings, integers, booleans, ``None``), made directly.

        ``None`` when any value is something else: the walker handles those.
        """
        flat: dict[str, Any] = {}
        for key, value in arguments.items():
            if type(key) is not str or _is_secret_key(key):
                return None
            kind = type(value)
            if kind is str:
                flat[storable(key)] = self.text(value)
            elif kind is int or kind is bool or value is None:
                flat[storable(key)] = value
            else:
                return None
        return flat


_SECRET_KEY_SEEN: dict[str, bool] = {}


def _is_secret_key(key: str) -> bool:
    """Whether a key is named like a credential (cached: tools use the same few keys over and over)."""
    known = _SECRET_KEY_SEEN.get(key)
    if known is None:
        if len(_SECRET_KEY_SEEN) >= 4096:  # keys of free-form objects must not grow this forever
            _SECRET_KEY_SEEN.clear()
        known = _SECRET_KEY_SEEN[key] = _normal_key(key) in _SECRET_KEYS
    return known


_MARKS: dict[int, tuple[Mapping[str, Any], bool]] = {}  # id(schema) -> (schema, marks a secret)


def _marks_secrets(schema: Mapping[str, Any]) -> bool:
    """Whether any node of ``schema`` marks a field secret (cached per schema object: tools keep theirs)."""
    cached = _MARKS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    marks = _any_secret_mark(schema, 0)
    if len(_MARKS) >= 4096:  # schemas made per call (not a tool's own) must not grow this forever
        _MARKS.clear()
    _MARKS[id(schema)] = (schema, marks)
    return marks


def _any_secret_mark(node: Any, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return True  # too deep to be sure: walk it with the schema
    if isinstance(node, Mapping):
        return _secret_marked(node) or any(_any_secret_mark(v, depth + 1) for v in node.values())
    if isinstance(node, list):
        return any(_any_secret_mark(v, depth + 1) for v in node)
    return False


# As tuples: ``bool | int`` in an isinstance call builds a new union object each time it runs.
_SCALARS = (bool, int)
_COLLECTIONS = (Sequence, set, frozenset)
_BYTES = (bytes, bytearray)


class _Walker:
    """Walks a value alongside the JSON Schema that describes it."""

    def __init__(self, redactor: Redactor, root: Mapping[str, Any]) -> None:
        self.redactor = redactor
        self.defs: Mapping[str, Any] = {**root.get("definitions", {}), **root.get("$defs", {})}

    def value(self, value: Any, schemas: list[Mapping[str, Any]], depth: int) -> Any:
        nodes = self.expand(schemas, depth)
        if value is not None and any(_secret_marked(node) for node in nodes):
            return self.secret(value)
        if depth > _MAX_DEPTH:
            return "[TOO DEEP]"
        if isinstance(value, str):
            return self.redactor.text(value)
        if isinstance(value, _SCALARS) or value is None:
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        if isinstance(value, BaseModel):
            return self.value(value.model_dump(mode="json", by_alias=True), schemas, depth)
        if isinstance(value, Mapping):
            return {storable(str(k)): self.member(str(k), v, nodes, depth) for k, v in value.items()}
        if isinstance(value, _COLLECTIONS) and not isinstance(value, _BYTES):
            return [self.value(v, self.items(nodes, i), depth + 1) for i, v in enumerate(value)]
        if isinstance(value, _BYTES):
            return f"<{len(value)} bytes>"
        return self.redactor.text(str(value))

    def member(self, key: str, value: Any, nodes: list[Mapping[str, Any]], depth: int) -> Any:
        if value is not None and _is_secret_key(key):
            return self.secret(value)
        return self.value(value, self.properties(nodes, key), depth + 1)

    def secret(self, value: Any) -> str:
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        return self.redactor.marker(None, value if isinstance(value, str) else repr(value))

    def expand(self, schemas: list[Mapping[str, Any]], depth: int) -> list[Mapping[str, Any]]:
        """The schemas with ``$ref`` resolved and ``anyOf``/``oneOf``/``allOf`` branches flattened in."""
        if not schemas:
            return []
        out: list[Mapping[str, Any]] = []
        pending = [(s, 0) for s in schemas]
        while pending:
            node, level = pending.pop()
            if not isinstance(node, Mapping) or level > _MAX_DEPTH:
                continue
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
                target = self.defs.get(ref.rsplit("/", 1)[1])
                if target is not None:
                    pending.append((target, level + 1))
            out.append(node)
            for key in ("anyOf", "oneOf", "allOf"):
                branches = node.get(key)
                if isinstance(branches, list):
                    pending.extend((b, level + 1) for b in branches)
        return out

    @staticmethod
    def properties(nodes: list[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for node in nodes:
            props = node.get("properties")
            if isinstance(props, Mapping) and key in props:
                found.append(props[key])
                continue
            patterns = node.get("patternProperties")
            if isinstance(patterns, Mapping):
                found.extend(s for p, s in patterns.items() if re.search(p, key))
            extra = node.get("additionalProperties")
            if isinstance(extra, Mapping):
                found.append(extra)
        return found

    @staticmethod
    def items(nodes: list[Mapping[str, Any]], index: int) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for node in nodes:
            prefix = node.get("prefixItems")
            if isinstance(prefix, list) and index < len(prefix):
                found.append(prefix[index])
            elif isinstance(node.get("items"), Mapping):
                found.append(node["items"])
        return found


_DEFAULT = Redactor()


def redact_text(text: str) -> str:
    """``text`` with credential-shaped substrings (keys, tokens, JWTs, Bearer headers) replaced."""
    return _DEFAULT.text(text)


def redact_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a tool's arguments with declared secrets and credential shapes replaced."""
    return _DEFAULT.arguments(arguments, schema)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, arguments and traceback of every record.

    Attach it to handlers (``handler.addFilter(RedactingFilter())``): a filter
    on a logger does not see records propagated from its children.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self._redactor = redactor or _DEFAULT
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg = self._redactor.text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.text(record.stack_info)
        return True
