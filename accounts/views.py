"""Team pages (Accounts), invitations, and switching the active organization."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.access import get_membership_for_org, membership_required, super_admin_required
from accounts.forms import AcceptInvitationForm, InviteForm, RoleForm
from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Membership, Role, User
from core.errors import ActionRefused, carry_out
from core.http import client_ip
from core.paging import query_without_page

TEAM_PAGE_SIZE = 25


def _team_context(request: HttpRequest, invite_form: InviteForm) -> dict:
    organization = request.organization
    search = request.GET.get("q", "").strip()[:254]
    role = request.GET.get("role", "")

    found = Membership.objects.for_team_page(organization)
    if search:
        found = found.filter(
            Q(user__email__icontains=search) | Q(user__full_name__icontains=search)
        )
    if role in Role.values:
        found = found.filter(role=role)
    page = Paginator(found, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
    invitations = (
        Invitation.objects.usable().filter(organization=organization).select_related("invited_by")
        if request.membership.is_super_admin
        else Invitation.objects.none()
    )
    return {
        "members": page.object_list,
        "page": page,
        "query": query_without_page(request),
        "search": search,
        "role_filter": role,
        "invitations": invitations,
        "invite_form": invite_form,
        "roles": Role.choices,
        "super_admins": Membership.objects.super_admins()
        .filter(organization=organization)
        .select_related("user")
        .order_by("user__full_name", "user__email"),
    }


@membership_required
def team(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/team.html", _team_context(request, InviteForm()))


@require_POST
@super_admin_required
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=request.organization,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            form.add_error("email", refusal.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("team")
    return render(request, "accounts/team.html", _team_context(request, form), status=400)


@require_POST
@super_admin_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, organization=request.organization)
    return carry_out(
        request,
        lambda: services.invitation_revoke(
            invitation=invitation, actor=request.user, ip_address=client_ip(request)
        ),
        done=f"The invitation of {invitation.email} is withdrawn.",
        then="team",
    )


# Changing rights and removing people are sensitive: the Super Admin confirms their
# password first (allauth replays the POST after reauthentication).
@require_POST
@super_admin_required
@reauthentication_required
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_org(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: Super Admin, Admin or Member.")
        return redirect("team")
    return carry_out(
        request,
        lambda: services.membership_change_role(
            membership=membership,
            role=form.cleaned_data["role"],
            actor=request.user,
            ip_address=client_ip(request),
        ),
        done=lambda changed: f"{changed.user.display_name} is now {changed.get_role_display()}.",
        then="team",
    )


@require_POST
@super_admin_required
@reauthentication_required
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_org(request, pk)
    return carry_out(
        request,
        lambda: services.membership_remove(
            membership=membership, actor=request.user, ip_address=client_ip(request)
        ),
        done=f"{membership.user.display_name} no longer belongs to the organization.",
        then="team",
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("organization", "invited_by"), token=token
    )
    context = {"invitation": invitation}
    if not invitation.is_usable:
        return render(request, "accounts/invitation_unusable.html", context, status=410)

    has_account = User.objects.filter(email__iexact=invitation.email).exists()
    if request.user.is_authenticated or has_account:
        # An existing account accepts while signed in as that account.
        if request.method == "POST" and request.user.is_authenticated:
            try:
                membership = services.invitation_accept(
                    invitation=invitation, user=request.user, ip_address=client_ip(request)
                )
            except ActionRefused as refusal:
                messages.error(request, refusal.message)
            else:
                request.session[SESSION_KEY] = membership.organization_id
                messages.success(request, f"You joined {membership.organization.name}.")
                return redirect("home")
        return render(
            request, "accounts/invitation_accept.html", {**context, "has_account": has_account}
        )

    form = AcceptInvitationForm(
        request.POST if request.method == "POST" else None, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                ip_address=client_ip(request),
            )
        except ActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membership.organization_id
            messages.success(request, f"Welcome to {membership.organization.name}.")
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {**context, "form": form, "has_account": False},
        status=400 if form.errors else 200,
    )


@require_POST
@membership_required
def switch_organization(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organization", "")
    membership = next((m for m in request.memberships if str(m.organization_id) == wanted), None)
    if membership is None:
        raise Http404("No such organization among yours.")
    request.session[SESSION_KEY] = membership.organization_id
    messages.success(request, f"You are now working in {membership.organization.name}.")
    return redirect("home")


@require_POST
@super_admin_required
@reauthentication_required
def require_mfa(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("on") == "1"
    return carry_out(
        request,
        lambda: services.organization_set_require_mfa(
            organization=request.organization,
            actor=request.user,
            on=on,
            ip_address=client_ip(request),
        ),
        done="Super Admins and Admins now need two-factor authentication."
        if on
        else "Two-factor authentication is no longer required.",
        then="settings",
    )
