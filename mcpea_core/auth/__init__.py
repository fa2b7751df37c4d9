"""Authentication and RBAC for ``mcpea serve --transport http`` (stdio stays unauthenticated).

The hub is an OAuth 2.1 resource server (bearer JWTs checked against the
issuer's JWKS, audience-bound to the hub's resource URL, RFC 9728 metadata)
and optionally accepts hashed API keys; ``[auth.rbac]`` maps roles, scopes
and groups to the tools a caller may use. See :mod:`mcpea_core.auth.settings`
for the configuration. This package's ``__init__`` stays cheap to import:
the HTTP machinery lives in :mod:`~mcpea_core.auth.wiring` and
:mod:`~mcpea_core.auth.gate`, the plugin in :mod:`~mcpea_core.auth.rbac`.
"""

from .keys import generate_key, hash_key
from .settings import ApiKey, AuthSection, OAuthSection, RbacSection

__all__ = ["ApiKey", "AuthSection", "OAuthSection", "RbacSection", "generate_key", "hash_key"]
