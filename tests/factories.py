"""factory-boy factories for the portal's models."""

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, Role, User
from subscriptions.models import BlockedNumber, PhoneNumber, Product, Subscription

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Faker("company")
    account_id = factory.Sequence(lambda n: f"AC-{200000 + n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER


# --- subscriptions -------------------------------------------------------------------


class ProductFactory(factory.django.DjangoModelFactory):
    """A sellable product; by default a business number with the A2 policy (support case)."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    kind = Product.Kind.BUSINESS_NUMBER
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, positive=True)
    cancel_channel = Product.CancelChannel.SUPPORT_CASE
    change_channel = Product.ChangeChannel.NONE
    cancel_min_role = Role.ADMIN
    manage_min_role = Role.ADMIN

    class Params:
        line = factory.Trait(
            kind=Product.Kind.LINE,
            cancel_channel=Product.CancelChannel.NOW,
            change_channel=Product.ChangeChannel.PORTAL,
            manage_min_role=Role.MEMBER,
            cancel_irreversible=True,
        )
        user_license = factory.Trait(
            kind=Product.Kind.USER_LICENSE, cancel_min_role=Role.SUPER_ADMIN
        )
        contact_center = factory.Trait(
            kind=Product.Kind.CONTACT_CENTER_LICENSE,
            cancel_min_role=Role.SUPER_ADMIN,
            change_channel=Product.ChangeChannel.SUPPORT_CASE,
            minimum_quantity=3,
        )
        sip_trunk = factory.Trait(
            kind=Product.Kind.SIP_TRUNK,
            cancel_channel=Product.CancelChannel.NOW,
            reactivation_hold_days=0,
        )
        call_insights = factory.Trait(
            kind=Product.Kind.CALL_INSIGHTS,
            cancel_channel=Product.CancelChannel.TERM_END,
            change_channel=Product.ChangeChannel.PORTAL,
        )
        jetpack = factory.Trait(
            kind=Product.Kind.JETPACK,
            cancel_channel=Product.CancelChannel.ACCOUNT_MANAGER,
            change_channel=Product.ChangeChannel.ACCOUNT_MANAGER,
        )
        text_archive = factory.Trait(
            kind=Product.Kind.ADDON,
            addon_code=Product.AddonCode.TEXT_ARCHIVE,
            cancel_channel=Product.CancelChannel.TERM_END,
        )
        call_recording = factory.Trait(
            kind=Product.Kind.ADDON,
            addon_code=Product.AddonCode.CALL_RECORDING,
            cancel_channel=Product.CancelChannel.TERM_END,
        )


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active subscription in its current monthly term."""

    class Meta:
        model = Subscription

    organization = factory.SubFactory(OrganizationFactory)
    product = factory.SubFactory(ProductFactory)
    term_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    term_end = factory.LazyAttribute(lambda o: o.term_start + timedelta(days=30))

    class Params:
        cancelled = factory.Trait(
            state=Subscription.State.CANCELLED,
            cancelled_at=factory.LazyFunction(timezone.now),
        )


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    """The number of a business number (pass subscription__product=... for a line)."""

    class Meta:
        model = PhoneNumber

    subscription = factory.SubFactory(SubscriptionFactory)
    organization = factory.LazyAttribute(lambda number: number.subscription.organization)
    e164 = factory.Sequence(lambda n: f"+1415555{n:04d}")
    country = "US"


class BlockedNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedNumber

    phone_number = factory.SubFactory(PhoneNumberFactory)
    e164 = factory.Sequence(lambda n: f"+1212555{n:04d}")


# --- support -------------------------------------------------------------------------


class CaseFactory(factory.django.DjangoModelFactory):
    """An open general case of an organization, opened by a member of it."""

    class Meta:
        model = "support.Case"

    organization = factory.SubFactory(OrganizationFactory)
    opened_by = factory.SubFactory(UserFactory)
    subject = factory.Sequence(lambda n: f"Question {n}")

    class Params:
        cancellation = factory.Trait(
            kind="cancellation",
            requester_name="Olive Owner",
            requester_company="Acme Test Co",
            requester_contact="owner@test.example",
        )
        resolved = factory.Trait(state="resolved", resolved_at=factory.LazyFunction(timezone.now))
        closed = factory.Trait(state="closed", closed_at=factory.LazyFunction(timezone.now))


class CaseSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "support.CaseSubscription"

    case = factory.SubFactory(CaseFactory)
    subscription = factory.SubFactory(
        SubscriptionFactory, organization=factory.SelfAttribute("..case.organization")
    )
    action = "cancel"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "support.Message"

    case = factory.SubFactory(CaseFactory)
    author = factory.SelfAttribute("case.opened_by")
    author_name = factory.LazyAttribute(lambda o: o.author.display_name if o.author else "")
    body = factory.Sequence(lambda n: f"Message {n}")


class QuoteFactory(factory.django.DjangoModelFactory):
    """A quote waiting for the customer, valid for two weeks."""

    class Meta:
        model = "support.Quote"

    case = factory.SubFactory(CaseFactory, kind="change")
    description = "A custom quote."
    price = "450.00"
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
