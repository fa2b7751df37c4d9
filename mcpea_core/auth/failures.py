"""Why a request was refused: the status, the RFC 6750 error code and a reason a person can act on.

Descriptions never contain the credential or anything else the caller sent:
they are fixed sentences plus configuration values (the expected audience,
the required scopes), so they are safe in a ``WWW-Authenticate`` header and
in logs.
"""

from __future__ import annotations

from ..errors import McpeaError

__all__ = ["AuthFailure"]


class AuthFailure(McpeaError):
    """A request was not authenticated (401), lacks a scope (403), or keys are unavailable (503).

    ``error`` is the RFC 6750 code (``invalid_request``, ``invalid_token``,
    ``insufficient_scope``) or ``None`` when the request carried no
    credentials at all, as RFC 6750 §3.1 asks.
    """

    def __init__(
        self,
        description: str,
        *,
        status: int = 401,
        error: str | None = "invalid_token",
        scopes: tuple[str, ...] = (),
    ) -> None:
        self.description = description
        self.status = status
        self.error = error
        self.scopes = scopes
        super().__init__(description)

    @classmethod
    def missing(cls, how: str) -> AuthFailure:
        return cls(f"no credentials: {how}", error=None)

    @classmethod
    def malformed(cls, why: str) -> AuthFailure:
        return cls(why, error="invalid_request")

    @classmethod
    def insufficient_scope(cls, missing: tuple[str, ...]) -> AuthFailure:
        return cls(
            f"the token lacks required scope(s): {' '.join(missing)}",
            status=403,
            error="insufficient_scope",
            scopes=missing,
        )

    @classmethod
    def unavailable(cls, why: str) -> AuthFailure:
        return cls(why, status=503, error="temporarily_unavailable")
