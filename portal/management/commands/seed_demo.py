"""Loads the demo organizations and sign-ins; safe to run again (it changes nothing twice)."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, Role, User

DEMO_PASSWORD = "switchboard-demo"  # noqa: S105 - the README publishes it

DEMO_USERS = [
    # email, full name, phone, staff
    ("owner@acme.example", "Olivia Owens", "+1 415 555 0100", False),
    ("admin@acme.example", "Adam Alvarez", "+1 415 555 0101", False),
    ("agent@acme.example", "Ava Agarwal", "+1 415 555 0102", False),
    ("jordan@lee.example", "Jordan Lee", "+44 20 7946 0958", False),
    ("staff@switchboard.example", "Sam Staff", "", True),
]

DEMO_ORGANIZATIONS = [
    # account ID, name, memberships
    (
        "AC-100234",
        "Acme Logistics",
        [
            ("owner@acme.example", Role.SUPER_ADMIN),
            ("admin@acme.example", Role.ADMIN),
            ("agent@acme.example", Role.MEMBER),
        ],
    ),
    ("AC-100871", "Jordan Lee", [("jordan@lee.example", Role.SUPER_ADMIN)]),
]


class Command(BaseCommand):
    help = "Create the demo organizations and users (password: switchboard-demo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off; add --force if you mean it."
            )
        with transaction.atomic():
            users = {
                email: self._user(email, name, phone, staff)
                for email, name, phone, staff in DEMO_USERS
            }
            for account_id, name, members in DEMO_ORGANIZATIONS:
                organization, _ = Organization.objects.get_or_create(
                    account_id=account_id, defaults={"name": name}
                )
                if account_id == "AC-100234" and organization.account_manager_id is None:
                    organization.account_manager = users["staff@switchboard.example"]
                    organization.save(update_fields=["account_manager"])
                for email, role in members:
                    Membership.objects.get_or_create(
                        user=users[email], organization=organization, defaults={"role": role}
                    )
            self.seed_more(users)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with:"))
        for email, _, _, staff in DEMO_USERS:
            where = "/admin/, after setting up an authenticator app" if staff else "/"
            self.stdout.write(f"  {email:<28} {DEMO_PASSWORD}   ({where})")

    def seed_more(self, users: dict[str, User]) -> None:
        """Later features add their demo data here."""
        from subscriptions.demo import seed_subscriptions
        from support.demo import seed_cases
        from support.help_demo import seed_help_center

        seed_subscriptions(users)
        seed_cases(users)
        seed_help_center()

    def _user(self, email: str, full_name: str, phone: str, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                phone=phone,
                is_staff=staff,
                is_superuser=staff,
            )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
