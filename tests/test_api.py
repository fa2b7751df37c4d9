"""The public API: a curated, sorted ``__all__``, and one error tree."""

from __future__ import annotations

import mcpea_core
from mcpea_core import errors

EXPECTED = {
    "Annotations", "AuthError", "ConfigError", "Contents", "DeliveryError", "Hub", "HubConfig", "InvalidArguments",
    "McpeaError", "PluginError", "PluginLoadError", "PolicyDenied", "Principal", "Prompt",
    "PromptArgument", "PromptMessage", "RateLimited", "RegistrationError", "Resource",
    "ResourceTemplate", "Tool", "ToolCall", "ToolContext", "ToolError", "ToolOutcome",
    "UnknownToolError", "UpstreamError", "__version__", "hookimpl", "load_config", "make_tool",
}


def test_all_is_curated_and_sorted() -> None:
    assert set(mcpea_core.__all__) == EXPECTED, "update EXPECTED only for a deliberate API change"
    assert mcpea_core.__all__ == sorted(mcpea_core.__all__)
    for name in mcpea_core.__all__:
        assert getattr(mcpea_core, name) is not None


def test_public_objects_have_docstrings() -> None:
    for name in mcpea_core.__all__:
        obj = getattr(mcpea_core, name)
        if isinstance(obj, type) or callable(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_every_error_is_an_mcpea_error() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, errors.McpeaError), name
    assert issubclass(errors.RateLimited, errors.UpstreamError)
    assert issubclass(errors.UpstreamError, errors.ToolError)
    assert issubclass(errors.InvalidArguments, errors.ToolError)


def test_error_tree_is_drawn_in_the_module_docstring() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert name in (errors.__doc__ or ""), f"{name} missing from the tree in errors.py"
