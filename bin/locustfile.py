"""The realistic load of `bin/loadtest`: signed-in Admins browsing, switching and writing.

Run by bin/loadtest (never on its own): it seeds the database, signs one Admin in per
simulated user and writes what each may use into the JSON file named by LOADTEST_USERS:
the session, a CSRF secret, the pages to view and two numbers of its own (one to cancel
and keep, one to switch), so that no two users ever touch the same row.

Each user does what a browser does behind a TLS-terminating proxy: it sends the
`__Host-` cookies by hand (a cookie jar sends no Secure cookie over plain HTTP),
`X-Forwarded-Proto: https`, and on every POST the page's CSRF token with `Origin` and
`Referer`. A write counts as successful only when the portal says so: the cancel
redirects to the number's page and that page shows the success message (a refusal
redirects back to the form or re-renders it with 400); Keep redirects to the number's
page either way, so the message decides; the htmx switch answers its fragment with the
success message and the new state.

At the end it writes the response times of every request, its failures and the writes
that succeeded, per action, into the JSON file named by LOADTEST_RESULTS.
"""

import http.cookiejar
import itertools
import json
import os
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from locust import FastHttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOADTEST_USERS"]).read_text())
ORIGIN = PLAN["origin"]  # https://127.0.0.1:<port>, as the proxy's clients see the site
SESSION_COOKIE, CSRF_COOKIE = PLAN["session_cookie"], PLAN["csrf_cookie"]
PAGE, WRITE, TOGGLE = "page: ", "write: ", "toggle: "

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SWITCH_VALUE = re.compile(r'name="on" value="([01])"')
SUCCESS = re.compile(r'class="message message-success"[^>]*>([^<]*)<')
MESSAGE = re.compile(r'class="message message-\w+"[^>]*>([^<]*)<')

accounts = itertools.count()
samples: dict[str, list[float]] = defaultdict(list)
failures: dict[str, Counter] = defaultdict(Counter)
succeeded: Counter = Counter()


@events.request.add_listener
def _record(name, response_time, exception=None, **_kwargs):
    samples[name].append(response_time)
    if exception is not None:
        failures[name][str(exception)[:200]] += 1


@events.test_stop.add_listener
def _write_results(**_kwargs):
    Path(os.environ["LOADTEST_RESULTS"]).write_text(
        json.dumps(
            {
                "samples": samples,
                "failures": failures,
                "succeeded": succeeded,
            }
        )
    )


def _said(body: str) -> str:
    return " / ".join(m.strip() for m in MESSAGE.findall(body)) or "no message"


class Admin(FastHttpUser):
    """One Admin of the large organization, on its own session and its own numbers.

    FastHttpUser (geventhttpclient) rather than HttpUser (requests): the load generator
    shares the machine's two cores with the server, and this client takes a fraction of
    the CPU per request that requests does."""

    wait_time = between(1, 3)

    def on_start(self):
        self.me = PLAN["users"][next(accounts) % len(PLAN["users"])]
        # No cookie jar: every cookie is sent by hand, as the browser would over HTTPS.
        self.client.cookiejar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self.cookie = f"{SESSION_COOKIE}={self.me['session']}; {CSRF_COOKIE}={self.me['csrf']}"
        self.pages = {**PLAN["pages"], **self.me["pages"]}
        body = self.view("Number details", self.me["toggle"]["detail"])
        found = SWITCH_VALUE.search(body or "")
        self.switch_to = found.group(1) if found else "1"

    # --- requests --------------------------------------------------------------------------

    def headers(self, extra_cookie: str = "", **more) -> dict[str, str]:
        cookie = f"{self.cookie}; {extra_cookie}" if extra_cookie else self.cookie
        return {
            "Cookie": cookie,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "127.0.0.1",
            **more,
        }

    def view(self, label: str, url: str, extra_cookie: str = "") -> str | None:
        """GET a page; it must answer 200 (a redirect would be the sign-in page)."""
        with self.client.get(
            url,
            name=PAGE + label,
            headers=self.headers(extra_cookie),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(
                    f"{response.status_code} {response.headers.get('Location', '')}".strip()
                )
                return None
            self.last_url = url
            return response.text

    def post(self, name: str, url: str, data: dict, token: str, **headers):
        referer = ORIGIN + self.last_url
        return self.client.post(
            url,
            name=name,
            data={"csrfmiddlewaretoken": token, **data},
            headers=self.headers(Origin=ORIGIN, Referer=referer, **headers),
            allow_redirects=False,
            catch_response=True,
        )

    def token(self, body: str) -> str:
        found = CSRF_FIELD.search(body)
        return found.group(1) if found else self.me["csrf"]

    def confirm(self, response, name: str, expected_location: str, expected_text: str) -> None:
        """A write answered with a redirect: follow it as the browser does (with the messages
        cookie the response set) and count the write only if the page says it succeeded."""
        location = response.headers.get("Location", "")
        if response.status_code != 302 or location != expected_location:
            response.failure(f"{response.status_code} to {location or 'nowhere'}")
            return
        cookies = [
            value.split(";", 1)[0]
            for key, value in response.headers.items()
            if key.lower() == "set-cookie" and value.startswith("messages=")
        ]
        body = self.view("Number details (after a write)", location, "; ".join(cookies))
        said = SUCCESS.search(body or "")
        if body is None or said is None or expected_text not in said.group(1):
            response.failure(f"no success message: {_said(body or '')}")
            return
        response.success()
        succeeded[name] += 1

    # --- tasks -----------------------------------------------------------------------------

    @task(12)
    def browse(self):
        label, url = random.choice(list(self.pages.items()))
        self.view(label, url)

    @task(2)
    def switch_inbound_recording(self):
        """The number page's htmx switch: POST with HX-Request, swap the answered fragment."""
        toggle = self.me["toggle"]
        body = self.view("Number details", toggle["detail"])
        if body is None:
            return
        found = SWITCH_VALUE.search(body)
        self.switch_to = found.group(1) if found else self.switch_to
        name = TOGGLE + "inbound recording"
        with self.post(
            name,
            toggle["post"],
            {"on": self.switch_to},
            self.token(body),
            **{
                "HX-Request": "true",
                "HX-Current-URL": ORIGIN + toggle["detail"],
                "HX-Target": "inbound-switch",
            },
        ) as response:
            expected = f"Inbound call recording is {'on' if self.switch_to == '1' else 'off'}."
            said = SUCCESS.search(response.text or "")
            if response.status_code != 200 or said is None or said.group(1).strip() != expected:
                response.failure(f"{response.status_code}: {_said(response.text or '')}")
                return
            response.success()
            succeeded[name] += 1
            found = SWITCH_VALUE.search(response.text)
            self.switch_to = found.group(1) if found else self.switch_to

    @task(2)
    def cancel_or_keep(self):
        """The number's page offers Cancel (a preview page, then its form) or, once it is set
        to end, Keep (a one-click form): do whichever it offers, as a member would."""
        number = self.me["number"]
        body = self.view("Number details", number["detail"])
        if body is None:
            return
        if f'action="{number["keep"]}"' in body:
            with self.post(WRITE + "keep", number["keep"], {}, self.token(body)) as response:
                self.confirm(response, WRITE + "keep", number["detail"], "renews as usual")
        elif f'href="{number["cancel"]}"' in body:
            form = self.view("Cancel preview", number["cancel"])
            if form is None:
                return
            with self.post(
                WRITE + "cancel",
                number["cancel"],
                {"reason": PLAN["cancel_reason"], "detail": "Load test"},
                self.token(form),
            ) as response:
                self.confirm(response, WRITE + "cancel", number["detail"], "stops renewing")
