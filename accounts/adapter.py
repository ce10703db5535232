"""allauth adapter: no open sign-up, people join by invitation; allauth sees the client
address the portal computes, and failed sign-ins count per address and account."""

import ipaddress

from allauth import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator

from core.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def clean_email(self, email: str) -> str:
        # Django's EmailField sets no length; the column holds 254 characters (PostgreSQL
        # refuses more, SQLite would keep them).
        limit = EmailAddress._meta.get_field("email").max_length
        MaxLengthValidator(limit)(email)
        return super().clean_email(email)

    def get_client_ip(self, request) -> str:
        # allauth alone would read TRUSTED_CLIENT_IP_HEADER whole ("198.51.100.9,
        # 203.0.113.7" is no address: 403). Its rate limits and sessions count the
        # address the audit log records.
        address = client_ip(request)
        if address is None:
            raise PermissionDenied("Unable to determine the client's address")
        return address

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # The "key" of ACCOUNT_RATE_LIMITS["login_failed"]: allauth's is the account alone,
        # so five wrong passwords from anyone would lock its owner out everywhere. With
        # the address in it, they lock out only the address they came from (an IPv6
        # address counts as its network, as allauth's per-address limits do).
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self._address_block(request)}|{account}"

    def _address_block(self, request) -> str:
        address = ipaddress.ip_address(self.get_client_ip(request))
        if address.version == 6:
            prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
            return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
        return str(address)
