"""allauth adapter: no open sign-up, people join by invitation; allauth sees the client
address the portal computes."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from core.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        # allauth alone would read TRUSTED_CLIENT_IP_HEADER whole ("198.51.100.9,
        # 203.0.113.7" is no address: 403). Its rate limits and sessions count the
        # address the audit log records.
        address = client_ip(request)
        if address is None:
            raise PermissionDenied("Unable to determine the client's address")
        return address
