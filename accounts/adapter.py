"""allauth adapter: no open sign-up, people join by invitation; allauth sees the client
address the portal computes, failed sign-ins count per address and account, and its
e-mails link to PORTAL_BASE_URL as the portal's own do."""

import ipaddress
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator

from core.http import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    # allauth builds its links and names the site from the request's Host header (any
    # that ALLOWED_HOSTS accepts); the portal's e-mails use PORTAL_BASE_URL.
    def get_reset_password_from_key_url(self, key: str) -> str:
        return _on_portal(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return _on_portal(super().get_email_confirmation_url(request, emailconfirmation))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        site = SimpleNamespace(name="Switchboard", domain=urlsplit(settings.PORTAL_BASE_URL).netloc)
        # The links no hook builds (the sign-up and reset links of the unknown-account
        # and account-exists e-mails) move to the portal's address too.
        links = {
            name: _on_portal(value)
            for name, value in context.items()
            if name.endswith("_url") and isinstance(value, str) and urlsplit(value).netloc
        }
        super().send_mail(template_prefix, email, {"current_site": site, **context, **links})

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


def _on_portal(url: str) -> str:
    """`url` (absolute, on whatever host the request named) at PORTAL_BASE_URL."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{settings.PORTAL_BASE_URL}{parts.path}{query}"
