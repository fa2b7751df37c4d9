"""The test kit for connector plugins: a pytest plugin, recorders and the standard contract tests.

* :class:`ConnectorStandardTests`: subclass it in your plugin's tests.
* Fixtures (the ``mcpea`` pytest plugin, :mod:`.pytest_plugin`):
  ``mcpea_hub``, ``mcpea_client``, ``audit_records``, ``notifications``.
* :class:`HubFactory`, :class:`AuditRecorder`, :class:`NotificationRecorder`
  for tests that build hubs themselves.

See docs/testing-plugins.md. Importing this package imports pytest.
"""

from .hubs import HubFactory
from .recorders import AuditRecord, AuditRecorder, CaptureChannel, NotificationRecorder, NotificationRequest
from .standard import STANDARD_TESTS, ConnectorStandardTests

__all__ = [
    "STANDARD_TESTS",
    "AuditRecord",
    "AuditRecorder",
    "CaptureChannel",
    "ConnectorStandardTests",
    "HubFactory",
    "NotificationRecorder",
    "NotificationRequest",
]
