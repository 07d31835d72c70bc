"""Small request helpers shared by the views and the audit receivers."""

import ipaddress


def client_ip(request) -> str | None:
    """The client address for the audit log, or None when there is none or it is not an IP address
    (a proxy or a test may put anything in REMOTE_ADDR; the audit row must still be written)."""
    value = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
