"""Users: create (with a required-action e-mail), get, search, update, enable, disable, send a password reset.

No password ever passes through these tools: not in arguments, results or
logs. A new user, or one who must change their password, gets an e-mail
from Keycloak whose link lets them set it themselves (Keycloak's
``execute-actions-email``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from mcpea_core import ToolContext, UpstreamError

from .client import connect, get_json
from .common import (
    Arguments,
    Id,
    Page,
    Paging,
    Result,
    iso_time,
    redact,
    secret_like,
)
from .errors import upstream

if TYPE_CHECKING:
    from keycloak import KeycloakAdmin

__all__ = [
    "User",
    "keycloak_create_user",
    "keycloak_disable_user",
    "keycloak_enable_user",
    "keycloak_get_user",
    "keycloak_search_users",
    "keycloak_send_password_reset",
    "keycloak_update_user",
    "read_user",
]

RequiredAction = Literal[
    "UPDATE_PASSWORD",
    "VERIFY_EMAIL",
    "UPDATE_PROFILE",
    "CONFIGURE_TOTP",
    "TERMS_AND_CONDITIONS",
    "CONFIGURE_RECOVERY_AUTHN_CODES",
    "webauthn-register",
]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# The user fields a read-modify-write update carries back; credentials and the like never.
_KEPT_FIELDS = (
    "username",
    "email",
    "firstName",
    "lastName",
    "emailVerified",
    "enabled",
    "requiredActions",
    "attributes",
)


def _first_login_actions() -> list[RequiredAction]:
    return ["VERIFY_EMAIL", "UPDATE_PASSWORD"]


class User(Result):
    """A Keycloak user, without credentials."""

    id: str
    username: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    enabled: bool | None = None
    email_verified: bool | None = None
    created_at: str | None = Field(default=None, description="ISO 8601 UTC.")
    required_actions: list[str] = Field(
        default_factory=list, description="Actions the user must do at next login."
    )
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Custom attributes (secret-named ones redacted)."
    )
    federation_link: str | None = Field(
        default=None, description="User storage provider (LDAP...) the user comes from."
    )
    service_account_client_id: str | None = Field(
        default=None, description="Set when this is a client's service account."
    )

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> User:
        return cls(
            id=str(data.get("id", "")),
            username=data.get("username"),
            email=data.get("email"),
            first_name=data.get("firstName"),
            last_name=data.get("lastName"),
            enabled=data.get("enabled"),
            email_verified=data.get("emailVerified"),
            created_at=iso_time(data.get("createdTimestamp")),
            required_actions=[str(a) for a in data.get("requiredActions") or []],
            attributes=_attributes(data.get("attributes")),
            federation_link=data.get("federationLink"),
            service_account_client_id=data.get("serviceAccountClientId"),
        )


class CreatedUser(Result):
    id: str = Field(description="The new user's id.")
    username: str
    required_actions: list[str]
    email_sent: bool = Field(description="Whether Keycloak sent the required-action e-mail.")
    email_error: str | None = Field(
        default=None,
        description="Why the e-mail was not sent; the user exists: retry with keycloak_send_password_reset.",
    )


class UserChange(Result):
    user_id: str
    changed: list[str] = Field(description="The fields the call set.")
    enabled: bool | None = None


class EmailSent(Result):
    user_id: str
    actions: list[str] = Field(description="The actions the e-mail's link asks the user to do.")


class EmailLink(Arguments):
    """Where the link of a required-action e-mail leads, and for how long it works."""

    lifespan_seconds: int | None = Field(
        default=None,
        ge=60,
        le=30 * 86400,
        description="How long the e-mail's link works; default the realm's (12 h).",
    )
    redirect_client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="clientId of the application to return to afterwards.",
    )
    redirect_uri: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Where to send the user afterwards; must be a valid redirect URI of redirect_client_id.",
    )

    @model_validator(mode="after")
    def _redirect_needs_client(self) -> EmailLink:
        if self.redirect_uri and not self.redirect_client_id:
            raise ValueError("redirect_uri needs redirect_client_id (the client it is registered with)")
        return self

    def email_options(self) -> dict[str, Any]:
        return {
            "client_id": self.redirect_client_id,
            "lifespan": self.lifespan_seconds,
            "redirect_uri": self.redirect_uri,
        }


class AttributeNames(Arguments):
    @field_validator("attributes", check_fields=False)
    @classmethod
    def _no_secret_attributes(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for name in value or {}:
            if secret_like(name):
                raise ValueError(
                    f"attribute {name!r} looks like a secret: passwords and secrets are never set here"
                )
        return value


class CreateUser(EmailLink, AttributeNames):
    username: str = Field(
        min_length=1, max_length=255, description="Login name; Keycloak stores it lower-cased."
    )
    email: str | None = Field(
        default=None, pattern=EMAIL_PATTERN, max_length=254, description="E-mail address."
    )
    first_name: str | None = Field(default=None, max_length=255, description="Given name.")
    last_name: str | None = Field(default=None, max_length=255, description="Family name.")
    enabled: bool = Field(default=True, description="Whether the user may log in.")
    email_verified: bool = Field(
        default=False, description="Mark the address verified (only if it already is)."
    )
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, max_length=50, description="Custom attributes."
    )
    required_actions: list[RequiredAction] = Field(
        default_factory=_first_login_actions,
        max_length=7,
        description="What the user must do first; UPDATE_PASSWORD lets them choose their own password.",
    )
    send_email: bool = Field(
        default=True, description="E-mail the user a link to do the required actions now (needs email)."
    )

    @model_validator(mode="after")
    def _email_to_send_to(self) -> CreateUser:
        if self.send_email and self.required_actions and not self.email:
            raise ValueError(
                "email is required to send the required-action e-mail (or set send_email to false)"
            )
        return self


class UserRef(Arguments):
    """One user, by id."""

    user_id: Id = Field(description="The user's id (a UUID), as keycloak_search_users returns it.")


class SearchUsers(Paging):
    search: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Text found in username, e-mail, first or last name.",
    )
    username: str | None = Field(
        default=None, min_length=1, max_length=255, description="Text in the username."
    )
    email: str | None = Field(
        default=None, min_length=1, max_length=254, description="Text in the e-mail address."
    )
    first_name: str | None = Field(
        default=None, min_length=1, max_length=255, description="Text in the given name."
    )
    last_name: str | None = Field(
        default=None, min_length=1, max_length=255, description="Text in the family name."
    )
    enabled: bool | None = Field(default=None, description="Only enabled (true) or disabled (false) users.")
    exact: bool = Field(
        default=False, description="Match username, email and names exactly, not as substrings."
    )


class UpdateUser(AttributeNames):
    user_id: Id = Field(description="The user's id.")
    email: str | None = Field(
        default=None, pattern=EMAIL_PATTERN, max_length=254, description="New e-mail address."
    )
    first_name: str | None = Field(default=None, max_length=255, description="New given name.")
    last_name: str | None = Field(default=None, max_length=255, description="New family name.")
    email_verified: bool | None = Field(default=None, description="Mark the e-mail address verified or not.")
    attributes: dict[str, list[str] | None] | None = Field(
        default=None, max_length=50, description="Attributes to set; null removes one. Others are kept."
    )
    required_actions: list[RequiredAction] | None = Field(
        default=None, max_length=7, description="Replaces the user's required actions ([] clears them)."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateUser:
        if not self.changes() and self.attributes is None:
            raise ValueError("give at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        fields = {
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "emailVerified": self.email_verified,
            "requiredActions": self.required_actions,
        }
        return {key: value for key, value in fields.items() if value is not None}


class SendPasswordReset(EmailLink):
    user_id: Id = Field(description="The user's id.")


def keycloak_create_user(params: CreateUser, ctx: ToolContext) -> CreatedUser:
    """Create a user with no password and e-mail them a link to set one (and verify their address).

    Not idempotent: a second call with the same username fails with 409. If the
    user was created but the e-mail failed, email_error says why; retry the
    e-mail with keycloak_send_password_reset, not this tool.
    """
    admin = connect(ctx)
    payload: dict[str, Any] = {
        "username": params.username,
        "enabled": params.enabled,
        "emailVerified": params.email_verified,
        "requiredActions": list(params.required_actions),
    }
    optional = {"email": params.email, "firstName": params.first_name, "lastName": params.last_name}
    payload.update({key: value for key, value in optional.items() if value is not None})
    if params.attributes:
        payload["attributes"] = params.attributes
    with upstream(ctx):
        user_id = admin.create_user(payload)
    sent, error = False, None
    if params.send_email and params.required_actions:
        try:
            with upstream(ctx, f"user {user_id!r}"):
                admin.send_update_account(user_id, list(params.required_actions), **params.email_options())
            sent = True
        except UpstreamError as exc:
            error = str(exc)
    return CreatedUser(
        id=user_id,
        username=params.username,
        required_actions=list(params.required_actions),
        email_sent=sent,
        email_error=error,
    )


def keycloak_get_user(params: UserRef, ctx: ToolContext) -> User:
    """Get one user by id: names, e-mail, enabled, required actions and attributes (never credentials)."""
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r}"):
        data = read_user(admin, params.user_id)
    return User.from_api(data)


def keycloak_search_users(params: SearchUsers, ctx: ToolContext) -> Page[User]:
    """Find users by text (search) or by username, e-mail or name; one page, without attributes.

    Use keycloak_get_user for a user's attributes and required actions.
    """
    admin = connect(ctx)
    query: dict[str, Any] = {**params.query(), "briefRepresentation": "true"}
    filters = {
        "search": params.search,
        "username": params.username,
        "email": params.email,
        "firstName": params.first_name,
        "lastName": params.last_name,
    }
    query.update({key: value for key, value in filters.items() if value is not None})
    if params.enabled is not None:
        query["enabled"] = str(params.enabled).lower()
    if params.exact:
        query["exact"] = "true"
    with upstream(ctx):
        items = admin.get_users(query)
    return Page[User].of([User.from_api(item) for item in items], params)


def keycloak_update_user(params: UpdateUser, ctx: ToolContext) -> UserChange:
    """Change a user's e-mail, names, verified flag, attributes or required actions; other fields stay.

    Reads the user first and writes back what it read with the changes, because
    Keycloak's update replaces all attributes and, on some versions, clears the
    names and e-mail when they are left out. To disable a user use
    keycloak_disable_user; passwords are never set here (keycloak_send_password_reset).
    """
    admin = connect(ctx)
    subject = f"user {params.user_id!r}"
    with upstream(ctx, subject):
        current = read_user(admin, params.user_id)
    payload = {key: current[key] for key in _KEPT_FIELDS if key in current}
    changes = params.changes()
    payload.update(changes)
    changed = list(changes)
    if params.attributes is not None:
        attributes = dict(current.get("attributes") or {})
        for name, values in params.attributes.items():
            if values is None:
                attributes.pop(name, None)
            else:
                attributes[name] = values
        payload["attributes"] = attributes
        changed.append("attributes")
    with upstream(ctx, subject):
        admin.update_user(params.user_id, payload)
    return UserChange(user_id=params.user_id, changed=changed)


def keycloak_disable_user(params: UserRef, ctx: ToolContext) -> UserChange:
    """Disable a user: they can no longer log in. Sessions already open stay until keycloak_logout_user.

    Idempotent; undo with keycloak_enable_user.
    """
    return _set_enabled(params, ctx, enabled=False)


def keycloak_enable_user(params: UserRef, ctx: ToolContext) -> UserChange:
    """Enable a disabled user so they can log in again. Idempotent."""
    return _set_enabled(params, ctx, enabled=True)


def keycloak_send_password_reset(params: SendPasswordReset, ctx: ToolContext) -> EmailSent:
    """E-mail a user a link to choose a new password (Keycloak's UPDATE_PASSWORD action).

    The password is never seen by the hub. Each call sends another e-mail. Fails
    when the user has no e-mail address, is disabled or the realm has no SMTP server.
    """
    admin = connect(ctx)
    actions = ["UPDATE_PASSWORD"]
    with upstream(ctx, f"user {params.user_id!r}"):
        admin.send_update_account(params.user_id, actions, **params.email_options())
    return EmailSent(user_id=params.user_id, actions=actions)


def read_user(admin: KeycloakAdmin, user_id: str) -> dict[str, Any]:
    """GET one user's full representation.

    Not ``KeycloakAdmin.get_user``: it sends ``userProfileMetadata=False``, a
    boolean spelled the Python way, which Keycloak's description (``true`` or
    ``false``) does not allow.
    """
    from keycloak.urls_patterns import URL_ADMIN_USER

    data: dict[str, Any] = get_json(admin, URL_ADMIN_USER, {}, id=user_id)
    return data


def _set_enabled(params: UserRef, ctx: ToolContext, *, enabled: bool) -> UserChange:
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r}"):
        admin.update_user(params.user_id, {"enabled": enabled})
    return UserChange(user_id=params.user_id, changed=["enabled"], enabled=enabled)


def _attributes(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    cleaned = redact(raw)
    return {
        str(name): [str(v) for v in values] if isinstance(values, list) else [str(values)]
        for name, values in cleaned.items()
    }
