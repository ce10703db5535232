"""Demo support cases for Acme, in every state, with one quote waiting; safe to run again.

`seed_cases(users=...)` runs from `manage.py seed_demo` after the subscriptions exist.
Each case is found by its organization and subject and only created when missing, so
a second run changes nothing and what a demo user did to a case (a reply, closing it)
stays. The rows are written directly, like the rest of the demo data: no e-mails, no
audit events for things that never happened.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from subscriptions.models import PhoneNumber, Product, Subscription
from support.models import Case, CaseSubscription, Message, Quote

State = Case.State
Kind = Case.Kind


@transaction.atomic
def seed_cases(users: dict[str, User]) -> None:
    acme = Organization.objects.get(account_id="AC-100234")
    owner = users["owner@acme.example"]
    admin = users["admin@acme.example"]
    agent = users["agent@acme.example"]
    staff = users["staff@switchboard.example"]

    number = PhoneNumber.objects.select_related("subscription").filter(e164="+12125550147").first()
    if number is not None:
        case = _case(
            acme,
            subject="Cancellation request: cancel Local business number +12125550147",
            kind=Kind.CANCELLATION,
            state=State.OPEN,
            opened_by=owner,
            age=timedelta(hours=5),
            requester_name=owner.full_name,
            requester_company=f"{acme.name} ({acme.account_id})",
            requester_contact=f"{owner.email} · {owner.phone}",
            thread=[
                (
                    owner,
                    "Please cancel Local business number +12125550147.\n\n"
                    f"Full name: {owner.full_name}\n"
                    f"Company or account ID: {acme.name} ({acme.account_id})\n"
                    f"Contact: {owner.email} · {owner.phone}\n\n"
                    "The New York office closes at the end of the month.",
                ),
            ],
        )
        if case is not None and number.subscription.is_live:
            CaseSubscription.objects.get_or_create(
                case=case,
                subscription=number.subscription,
                defaults={"action": "cancel", "holds_cancellation": True},
            )

    _case(
        acme,
        subject="Calls to our London number drop after a minute",
        kind=Kind.GENERAL,
        state=State.PENDING,
        opened_by=agent,
        assigned_to=staff,
        age=timedelta(days=2),
        origin="/numbers/",
        thread=[
            (agent, "Since Monday, calls to +442079460321 drop after about a minute."),
            (
                staff,
                "Thanks, Ava. Could you send the time of one dropped call and the number that "
                "called? A screenshot of the call log works too.",
            ),
        ],
    )

    seats = Subscription.objects.filter(
        organization=acme, product__kind=Product.Kind.CONTACT_CENTER_LICENSE
    ).first()
    if seats is not None:
        case = _case(
            acme,
            subject="Change request: hold 8 of Contact-center license",
            kind=Kind.CHANGE,
            state=State.IN_PROGRESS,
            opened_by=owner,
            assigned_to=staff,
            age=timedelta(days=1),
            thread=[
                (owner, "We hire three agents next month: please take us to 8 licenses."),
                (staff, "On it: the new licenses will be ready by Friday."),
            ],
        )
        if case is not None:
            CaseSubscription.objects.get_or_create(
                case=case,
                subscription=seats,
                defaults={"action": "change_quantity", "requested_quantity": 8},
            )

    _case(
        acme,
        subject="How do I export our numbers?",
        kind=Kind.GENERAL,
        state=State.RESOLVED,
        opened_by=admin,
        assigned_to=staff,
        age=timedelta(days=4),
        resolved_ago=timedelta(days=3),
        thread=[
            (admin, "Is there a way to get all our numbers in a spreadsheet?"),
            (staff, "Yes: on Numbers, choose Export CSV. It keeps the filters you set."),
        ],
    )
    _case(
        acme,
        subject="A copy of last month's invoice",
        kind=Kind.GENERAL,
        state=State.CLOSED,
        opened_by=owner,
        assigned_to=staff,
        age=timedelta(days=20),
        resolved_ago=timedelta(days=19),
        closed_ago=timedelta(days=18),
        thread=[
            (owner, "Could you send a copy of last month's invoice?"),
            (staff, "Sent to your e-mail a moment ago."),
            (owner, "Got it, thanks."),
        ],
    )

    jetpack = Subscription.objects.filter(
        organization=acme, product__kind=Product.Kind.JETPACK
    ).first()
    surge = Product.objects.filter(name="Jetpack Surge").first()
    if jetpack is not None and surge is not None:
        case = _case(
            acme,
            subject=f"Quote request: {jetpack} to {surge.name}",
            kind=Kind.CHANGE,
            state=State.PENDING,
            opened_by=owner,
            assigned_to=acme.account_manager or staff,
            age=timedelta(days=1, hours=3),
            thread=[
                (owner, f"We would like to move from {jetpack} to {surge.name}."),
                (
                    staff,
                    f"Quote: change to {surge.name} for 549.00, valid until "
                    f"{timezone.localdate() + timedelta(days=14):%d %B %Y}.\n\n"
                    "Surge at a loyalty price for the first year.",
                ),
            ],
        )
        if case is not None:
            CaseSubscription.objects.get_or_create(
                case=case,
                subscription=jetpack,
                defaults={"action": "change_plan", "requested_product": surge},
            )
            Quote.objects.get_or_create(
                case=case,
                defaults={
                    "product": surge,
                    "description": "Jetpack Surge at a loyalty price for the first year.",
                    "price": Decimal("549.00"),
                    "valid_until": timezone.localdate() + timedelta(days=14),
                    "sent_by": staff,
                },
            )


def _case(
    organization: Organization,
    *,
    subject: str,
    kind: str,
    state: str,
    opened_by: User,
    age: timedelta,
    thread: list[tuple[User, str]],
    assigned_to: User | None = None,
    resolved_ago: timedelta | None = None,
    closed_ago: timedelta | None = None,
    **fields,
) -> Case | None:
    """Create the case and its thread when missing; None when it already exists."""
    if Case.objects.filter(organization=organization, subject=subject).exists():
        return None
    now = timezone.now()
    case = Case.objects.create(
        organization=organization,
        subject=subject,
        kind=kind,
        state=state,
        opened_by=opened_by,
        assigned_to=assigned_to,
        resolved_at=now - resolved_ago if resolved_ago else None,
        closed_at=now - closed_ago if closed_ago else None,
        **fields,
    )
    step = age / (len(thread) + 1)
    for index, (author, body) in enumerate(thread):
        message = Message.objects.create(
            case=case,
            author=author,
            author_name=author.display_name,
            from_staff=author.is_staff,
            body=body,
        )
        Message.objects.filter(pk=message.pk).update(created_at=now - age + step * index)
    Case.objects.filter(pk=case.pk).update(
        created_at=now - age, updated_at=now - age + step * max(len(thread) - 1, 0)
    )
    return case
