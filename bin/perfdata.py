"""Seed data for the benchmark (`bin/bench`) and the load test (`bin/loadtest`).

`seed_organization` builds one organization at a given scale with bulk inserts:
members, numbers (with their subscriptions; one in seven a line with a call-recording
add-on, as organizations that give people lines have), user licenses, a Call Insights plan
with other tiers to change to, support cases with a thread, and audit events. The
two scripts import it so that both measure the same shape of customer.
Run it only against a throw-away database: it writes without the services (no
audit of the seeding itself, no e-mails).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

PASSWORD = "bench-password-not-secret"  # noqa: S105 (throw-away databases only)
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "AU"]
# One number in seven is a line with an add-on: the first page of Numbers shows four, and
# the Super Admin holds a few. (Not one in five or ten: the Super Admin holds every 500th.)
LINE_EVERY = 7
# Case subjects cycle through these: a search for one word matches one case in eight.
TOPICS = [
    "number porting",
    "an invoice",
    "voicemail",
    "call quality",
    "user licenses",
    "the SIP trunk",
    "call recording",
    "a new line",
]


# The pages measured, as (label, URL name, URL arguments by name, query string). The URL
# names are the portal's, plus bench_bare from bin/perf_urls.py.
PAGES = [
    ("Bare signed-in page", "bench_bare", (), ""),
    ("Home", "home", (), ""),
    ("Numbers", "numbers", (), ""),
    ("Numbers, filtered", "numbers", (), "?country=GB&q=00"),
    ("Number details", "number_detail", ("number",), ""),
    ("Cancel preview (a number)", "subscription_cancel", ("number",), ""),
    ("View or Change Plan", "change_plan", ("plan",), ""),
    ("Licenses", "licenses", (), ""),
    ("SIP Trunks", "trunks", (), ""),
    ("Settings", "settings", (), ""),
    ("Call Insights", "call_insights", (), ""),
    ("Number Testing", "number_testing", (), ""),
    ("Jetpacks", "jetpacks", (), ""),
    ("Accounts", "team", (), ""),
    ("A member's Plans", "member_plans", ("membership",), ""),
    ("Activity", "activity", (), ""),
    ("Support", "support", (), ""),
    ("Support, searched", "support", (), "?q=porting"),
    ("A case", "case_detail", ("case",), ""),
    ("Help", "help", (), ""),
    ("Help, searched", "help", (), "?q=cancel+number"),
    ("An article", "help_article", ("article",), ""),
]


@dataclass(eq=False)
class Seeded:
    organization: object
    owner: object  # the Super Admin's Membership
    members: list  # every Membership, the owner first
    number: object  # a number's Subscription
    plan: object  # a Call Insights plan with tiers to change to
    case: object  # a case with a thread


def catalog():
    """The products every seeded organization subscribes to (made once per database)."""
    from accounts.models import Role
    from subscriptions.models import Product

    number, _ = Product.objects.get_or_create(
        name="Bench number",
        defaults={
            "kind": Product.Kind.BUSINESS_NUMBER,
            "price": 5,
            "cancel_channel": Product.CancelChannel.TERM_END,
        },
    )
    license_, _ = Product.objects.get_or_create(
        name="Bench license",
        defaults={
            "kind": Product.Kind.USER_LICENSE,
            "price": 20,
            "cancel_min_role": Role.SUPER_ADMIN,
        },
    )
    line, _ = Product.objects.get_or_create(
        name="Bench line",
        defaults={
            "kind": Product.Kind.LINE,
            "price": 15,
            "cancel_channel": Product.CancelChannel.NOW,
            "cancel_irreversible": True,
        },
    )
    recording, _ = Product.objects.get_or_create(
        name="Bench call recording",
        defaults={
            "kind": Product.Kind.ADDON,
            "addon_code": Product.AddonCode.CALL_RECORDING,
            "price": 4,
            "cancel_channel": Product.CancelChannel.NOW,
        },
    )
    tiers = []
    for n in (1, 2, 3):
        tier, _ = Product.objects.get_or_create(
            name=f"Bench Insights {n}",
            defaults={
                "kind": Product.Kind.CALL_INSIGHTS,
                "tier": n,
                "price": 50 * n,
                "cancel_channel": "term_end",
                "change_channel": "portal",
            },
        )
        tiers.append(tier)
    for tier in tiers:
        tier.changeable_to.set([t for t in tiers if t != tier])
    return number, line, recording, license_, tiers


def seed_large(args, **extra) -> "Seeded":
    """The large organization of the bench and the load test, at the scale their options
    (`--numbers`, `--members`, `--licenses`, `--cases`, `--events`) parsed into `args`."""
    return seed_organization(
        name="Large Corp",
        account_id="AC-900001",
        numbers=args.numbers,
        members=args.members,
        licenses=args.licenses,
        cases=args.cases,
        events=args.events,
        **extra,
    )


def seed_organization(
    *,
    name: str,
    account_id: str,
    numbers: int,
    members: int,
    licenses: int,
    cases: int,
    events: int,
    messages: int = 20,
    admins: int = 0,
) -> Seeded:
    """One organization at the given scale; its first member is the Super Admin and the
    next `admins` are Admins. Member e-mails are member<i>@<account_id>.bench.example."""
    from accounts.models import Membership, Organization, Role, User
    from core.models import AuditEvent
    from subscriptions.models import PhoneNumber, Subscription
    from support.models import Case, CaseState, Message

    number_plan, line_plan, recording_plan, license_plan, tiers = catalog()
    password = make_password(PASSWORD)
    domain = f"{account_id.lower()}.bench.example"
    organization = Organization.objects.create(name=name, account_id=account_id)
    users = User.objects.bulk_create(
        (
            User(email=f"member{i}@{domain}", full_name=f"Member {i}", password=password)
            for i in range(members)
        ),
        batch_size=2000,
    )

    def role(i: int) -> str:
        if i == 0:
            return Role.SUPER_ADMIN
        return Role.ADMIN if i <= admins else Role.MEMBER

    memberships = Membership.objects.bulk_create(
        (
            Membership(user=user, organization=organization, role=role(i))
            for i, user in enumerate(users)
        ),
        batch_size=2000,
    )
    today = timezone.localdate()
    start, end = today - timedelta(days=10), today + timedelta(days=20)

    def held(products) -> list:
        """Bulk-create this term's subscriptions of the organization, one per (product,
        other fields) pair."""
        return Subscription.objects.bulk_create(
            (
                Subscription(
                    organization=organization,
                    product=product,
                    term_start=start,
                    term_end=end,
                    **fields,
                )
                for product, fields in products
            ),
            batch_size=2000,
        )

    number_subscriptions = held(
        (
            line_plan if i % LINE_EVERY == 0 else number_plan,
            {"assigned_to": users[i % members] if i % 3 != 2 else None},
        )
        for i in range(numbers)
    )
    # Each line has a call-recording add-on, which its Cancel Line must name first (I6).
    held((recording_plan, {"parent": line}) for line in number_subscriptions[::LINE_EVERY])
    digits = int(account_id.removeprefix("AC-")) % 1000
    PhoneNumber.objects.bulk_create(
        (
            PhoneNumber(
                subscription=s,
                organization=organization,
                e164=f"+1{digits:03d}{i:07d}",
                country=COUNTRIES[i % len(COUNTRIES)],
                inbound_recording=bool(i % 2),
            )
            for i, s in enumerate(number_subscriptions)
        ),
        batch_size=2000,
    )
    held(
        (license_plan, {"assigned_to": users[i % members] if i % 2 == 0 else None})
        for i in range(licenses)
    )
    plan = Subscription.objects.create(
        organization=organization, product=tiers[1], term_start=start, term_end=end
    )
    states = list(CaseState)
    now = timezone.now()

    def case(i: int) -> Case:
        state = states[i % len(states)]
        return Case(
            organization=organization,
            opened_by=users[i % members],
            subject=f"Question {i} about {TOPICS[i % len(TOPICS)]}",
            state=state,
            resolved_at=now if state in (CaseState.RESOLVED, CaseState.CLOSED) else None,
            closed_at=now if state == CaseState.CLOSED else None,
        )

    seeded_cases = Case.objects.bulk_create(
        (case(i) for i in range(cases)),
        batch_size=2000,
    )
    thread = seeded_cases[0]
    Message.objects.bulk_create(
        Message(
            case=thread,
            author=users[0] if i % 2 == 0 else None,
            author_name=users[0].display_name if i % 2 == 0 else "Support",
            from_staff=bool(i % 2),
            body=f"Message {i} of the thread.",
        )
        for i in range(messages)
    )
    # Audit events are append-only through save(); bulk_create writes the seed directly.
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                organization=organization,
                actor=users[i % members],
                actor_email=users[i % members].email,
                action="subscription.cancel_scheduled" if i % 2 else "subscription.kept",
                target_type="subscription",
                target_id=str(number_subscriptions[i % numbers].pk) if numbers else "",
                target_repr=f"Number {i}",
            )
            for i in range(events)
        ),
        batch_size=5000,
    )
    return Seeded(
        organization=organization,
        owner=memberships[0],
        members=memberships,
        number=number_subscriptions[min(1, numbers - 1)],
        plan=plan,
        case=thread,
    )


def analyze() -> None:
    """Gather the planner's statistics after seeding, as autovacuum would in production
    (on PostgreSQL VACUUM also marks pages all-visible, which index-only scans need)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def page_urls(seeded: "Seeded", article: str, labels=None) -> dict[str, str]:
    """{label: URL} of the PAGES (those named in `labels`, when given) for `seeded`."""
    from django.urls import reverse

    arguments = {
        "number": seeded.number.pk,
        "plan": seeded.plan.pk,
        "membership": seeded.owner.pk,
        "case": seeded.case.pk,
        "article": article,
    }
    return {
        label: reverse(name, args=[arguments[n] for n in needs]) + query
        for label, name, needs, query in PAGES
        if labels is None or label in labels
    }


def seed_help_center() -> str:
    """The demo help center; returns the slug of an article to measure."""
    from support.help_demo import seed_help_center as seed
    from support.models import HelpArticle

    seed()
    return HelpArticle.objects.published().order_by("pk").values_list("slug", flat=True)[0]


# --- reporting -------------------------------------------------------------------------


def machine() -> str:
    """One line naming what the figures were measured on."""
    import os
    import platform

    import django
    from django.db import connection

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]}"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}; {database}; "
        f"Python {platform.python_version()}, Django {django.get_version()}; "
        f"{timezone.now():%Y-%m-%d}"
    )


def write_section(path, key: str, text: str) -> None:
    """Replace what lies between `<!-- key -->` and `<!-- /key -->` in the file."""
    from pathlib import Path

    path = Path(path)
    document = path.read_text()
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    if start not in document or end not in document:
        raise SystemExit(f"{path} has no {start} … {end} section to write the results into")
    before, rest = document.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(f"{before}{start}\n{text.strip()}\n{end}{after}")
