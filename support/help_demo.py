"""The help center's starting articles, one for every topic the policy engine explains.

`seed_help_center()` is called by `manage.py seed_demo`; articles are keyed on their
slug (the engine's `HelpTopic`) and only created when missing, so staff edits stay.
"""

from django.db import transaction

from subscriptions.policy import HelpTopic
from support.models import HelpArticle, HelpCategory

CATEGORIES = [
    ("cancel-and-change", "Cancelling and changing"),
    ("lines-and-numbers", "Your lines and numbers"),
    ("plans", "Plans, add-ons and Jetpacks"),
    ("account", "Your account and team"),
]

# slug (HelpTopic) -> (category, title, summary, body)
ARTICLES = {
    HelpTopic.REFUNDS: (
        "cancel-and-change",
        "Refunds and cancellation fees",
        "What a cancellation costs, and why nothing already paid comes back.",
        "Most services have **no minimum term and no cancellation fee**. Where a product does "
        "carry a fee, the cancellation page states it before you confirm.\n\n"
        "Nothing already paid is refunded: not one-time or recurring charges, not monthly or "
        "annual plans, not feature plans, not usage credits and not porting fees.\n\n"
        "What you keep instead: a plan you cancel stays in service, with its usage credits, "
        "until the end of the term you paid for.",
    ),
    HelpTopic.STATES: (
        "cancel-and-change",
        "Active, ending, suspended, cancelled: what each state means",
        "The four states a subscription can be in, and what you can do in each.",
        "- **Active**: in service and renewing.\n"
        "- **Cancels at term end**: still in service until the date shown, then it stops. "
        "Choose *Keep* before then to let it renew.\n"
        "- **Suspended**: paused, for example after a payment problem. It can be reactivated.\n"
        "- **Cancelled**: out of service. Some things can be reactivated for a while after; "
        "the page says until when.",
    ),
    HelpTopic.CANCELLATION_REQUEST: (
        "cancel-and-change",
        "Cancellation requests for numbers and licenses",
        "Business numbers and user licenses are cancelled by our team, on request.",
        "Business numbers and user licenses are not cancelled with a button: you send a "
        "**cancellation request**, a support case our team carries out.\n\n"
        "The request asks for your full name, your company name or account ID, and how to "
        "reach you. We fill these in from your profile; check them and send. You follow the "
        "request under **Support** and we confirm by e-mail when it is done.",
    ),
    HelpTopic.LICENSES: (
        "account",
        "Why only Super Admins can cancel licenses",
        "Licenses decide who can work; only your organization's owners can give them up.",
        "Cancelling a user license can stop a colleague from working, so only **Super "
        "Admins** can request it. If you are an Admin or a Member, the page names your Super "
        "Admins: ask one of them.\n\nSuper Admins also assign licenses to people, move them, "
        "or free them, on the Licenses page.",
    ),
    HelpTopic.ROLES: (
        "account",
        "Roles: Super Admin, Admin and Member",
        "Who can do what in your organization.",
        "- **Super Admins** can do everything, including cancelling licenses, managing the "
        "team and roles, and Company Settings.\n"
        "- **Admins** manage numbers, lines, trunks, plans and add-ons, and can open any "
        "case; not licenses, not roles.\n"
        "- **Members** see the lines and numbers assigned to them and their own cases, and "
        "change their own line's settings.\n\n"
        "Roles are changed by a Super Admin on the Accounts page. An organization always "
        "keeps at least one Super Admin.",
    ),
    HelpTopic.SIP_TRUNKS: (
        "cancel-and-change",
        "Deleting a SIP trunk",
        "Trunks are deleted on the SIP Trunks page; the initial UCaaS trunk goes through us.",
        "On **SIP Trunks**, choose *Delete* next to the trunk. The page names the trunk and "
        "asks for your password again, because a deleted trunk stops carrying calls at "
        "once.\n\nThe **initial UCaaS trunk** your service was set up with has no Delete "
        "button: request its cancellation and our team removes it safely.",
    ),
    HelpTopic.CALL_RECORDING: (
        "lines-and-numbers",
        "Turning call recording on or off",
        "Incoming calls are recorded per number; outgoing calls for the whole organization.",
        "- **Incoming calls**: open the number under **Numbers** and use its recording "
        "switch.\n- **Outgoing calls**: one switch for the whole organization, in **Settings → "
        "Company Settings**, for Admins and Super Admins.\n\n"
        "The *Call Recording* add-on of a line is a separate plan: cancel it under Accounts → "
        "the person → Plans.",
    ),
    HelpTopic.CALL_INSIGHTS: (
        "plans",
        "Changing or cancelling Call Insights",
        "Home → Settings → Call Insights: Cancel Plan, or View or Change Plan.",
        "Go to **Settings → Call Insights**.\n\n"
        "- **View or Change Plan** lists the other plans with the price difference. A bigger "
        "plan starts today; a smaller one starts when your current term ends.\n"
        "- **Cancel Plan** stops the renewal. You keep the plan until the end of the term, "
        "and can choose *Keep plan* until then.",
    ),
    HelpTopic.NUMBER_TESTING: (
        "plans",
        "Changing or cancelling a Number Testing package",
        "Upgrade or cancel your Number Testing package at any time.",
        "Go to **Settings → Number Testing**. Upgrades start at once; a smaller package or a "
        "cancellation takes effect when the current term ends, and you keep testing until "
        "then.",
    ),
    HelpTopic.CONTACT_CENTER: (
        "plans",
        "Contact-center licenses: at least three",
        "A contact center runs with three licenses or more; fewer is not possible.",
        "Contact-center licenses are reduced or cancelled through a **support case**. A "
        "contact center needs **at least three** licenses, so a request that would leave one "
        "or two is refused at once. You can reduce to three, or cancel them all.",
    ),
    HelpTopic.JETPACKS: (
        "plans",
        "Upgrading or cancelling a Jetpack",
        "Jetpacks change through your account manager, with a custom quote.",
        "Choose **Contact your account manager** next to the Jetpack. We open a quote case "
        "assigned to your account manager, who sends you a custom quote you accept or "
        "decline in the portal. You can also write to our support address, shown on the "
        "Jetpacks page.",
    ),
    HelpTopic.FIXES: (
        "lines-and-numbers",
        "Before you cancel: quick fixes",
        "Most reasons to cancel a line have a fix that takes a minute.",
        "- **Calls drop or sound bad**: switch the line to the voice network.\n"
        "- **Your number was cancelled**: reactivate it while it is still held for you.\n"
        "- **No ringing, or texts not arriving**: check the phone's settings.\n"
        "- **You don't like the number**: change it and keep everything else.\n"
        "- **Spam calls**: block those numbers, free of charge.",
    ),
    HelpTopic.CANCEL_LINE: (
        "cancel-and-change",
        "Cancel Line: removing a line for good",
        "Accounts → the person → Cancel Line removes the number plan and every feature.",
        "You cancel a line yourself: **Accounts → the person → Plans → Cancel Line**.\n\n"
        "It removes the line's number plan and every feature on it, at once, and **cannot "
        "be undone**: you confirm by typing the line's number and your password.\n\n"
        "Cancel the line's add-ons (Text Archive, Call Recording) first; the page lists "
        "any still active, with a link to cancel each.",
    ),
    HelpTopic.PLANS_AND_FEATURES: (
        "cancel-and-change",
        "Cancelling one plan or feature",
        "Accounts → the person → Plans: cancel a single plan or add-on.",
        "To cancel just one feature or plan, open **Accounts → the person → Plans** and "
        "choose *Cancel Plan* next to it. It stops renewing and stays usable, with its "
        "credits, until the end of its term.",
    ),
    HelpTopic.APP_STORE: (
        "cancel-and-change",
        "Plans bought in the Apple App Store",
        "Apple bills these plans, so only Apple can stop them.",
        "Apple does not let app providers cancel subscriptions for their users. To cancel a "
        "plan bought in the App Store:\n\n"
        "1. Open your Apple account, with the Apple ID that made the purchase.\n"
        "2. Go to **Subscriptions** and choose this app's subscription.\n"
        "3. Cancel it there.\n\n"
        "Apple's own help: [cancel a subscription from Apple]"
        "(https://support.apple.com/en-us/HT202039).\n\n"
        "You can still remove the line itself with Cancel Line; cancel the App Store "
        "subscription too, or Apple keeps charging it.",
    ),
    HelpTopic.CALLING_MODE: (
        "lines-and-numbers",
        "Calling mode: voice network or data",
        "Switch a line to the voice network when calls over data drop.",
        "A line can place and take calls over **data** (the internet) or over the **voice "
        "network**. Where mobile data is weak, the voice network gives clearer calls.\n\n"
        "Open the line under **Numbers** and use its calling-mode switch.",
    ),
    HelpTopic.DEVICE_SETTINGS: (
        "lines-and-numbers",
        "No ringing or texts? Check the phone",
        "The phone's own settings are the usual cause.",
        "- Allow the app's notifications, with sound.\n"
        "- Turn off Do Not Disturb or Focus, or let the app through.\n"
        "- Let the app use mobile data and run in the background; turn off battery saving "
        "for it.\n- Still nothing? Switch the calling mode to the voice network.",
    ),
    HelpTopic.BLOCK_NUMBERS: (
        "lines-and-numbers",
        "Blocking spam callers",
        "Block any number from reaching yours, free of charge.",
        "Open the number under **Numbers**, go to *Blocked numbers*, and enter the caller's "
        "number in international format (for example +14155550123). Blocking is free and "
        "you can unblock at any time.",
    ),
    HelpTopic.CHANGE_NUMBER: (
        "lines-and-numbers",
        "Changing a line's number",
        "Pick a new number and keep the plan, add-ons and settings.",
        "Open the line and choose **Change number**, then pick a free number. The line "
        "keeps its plan, add-ons, settings and blocked numbers; the old number is released.",
    ),
    HelpTopic.REACTIVATE: (
        "lines-and-numbers",
        "Reactivating a number or line",
        "A suspended or cancelled number can come back while it is held for you.",
        "A number or line that was suspended, or cancelled for a reason other than Cancel "
        "Line, can be reactivated while it is still held for you; the page shows until "
        "when. After that the number is released and cannot come back. A line removed with "
        "Cancel Line cannot be reactivated.",
    ),
    HelpTopic.CHANGE_PLAN: (
        "plans",
        "Changing a plan",
        "Bigger plans start today; smaller ones at the end of the term.",
        "Where a plan can change in the portal, **View or Change Plan** lists the options "
        "with the price difference. Other plans change through a support case or your "
        "account manager; the page says which.",
    ),
}


@transaction.atomic
def seed_help_center() -> None:
    categories = {}
    for position, (slug, name) in enumerate(CATEGORIES):
        categories[slug], _ = HelpCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    for slug, (category, title, summary, body) in ARTICLES.items():
        HelpArticle.objects.get_or_create(
            slug=str(slug),
            defaults={
                "category": categories[category],
                "title": title,
                "summary": summary,
                "body": body,
            },
        )
