"""End-to-end tests of the account flows through nginx, against a whole stack started by
`deploy/dev e2e`: nginx, AuthService, the Workers (real mail to the SMTP sink, audit rows in
Postgres) and the other services, each its own process.

Settings come from the environment `deploy/dev e2e` sets:
E2E_URL (nginx), E2E_MAILDIR (the sink's maildir), E2E_AUTH_BIN (the AuthService executable),
E2E_DATABASE_URL (the stack's database), E2E_PSQL (psql), E2E_NGINX_LOG (nginx's access log),
E2E_LOG_DIR (the services' logs).
"""
import email
import json
import os
import re
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

URL = os.environ.get("E2E_URL", "http://127.0.0.1:8080")
MAILDIR = os.environ.get("E2E_MAILDIR", ".dev/mail")
AUTH_BIN = os.environ.get("E2E_AUTH_BIN", "AuthService")
DATABASE_URL = os.environ.get("E2E_DATABASE_URL", "postgres://app:app@127.0.0.1:5433/app")
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6380")
PSQL = os.environ.get("E2E_PSQL", "psql")
NGINX_LOG = os.environ.get("E2E_NGINX_LOG", "")
LOG_DIR = os.environ.get("E2E_LOG_DIR", "")


def call(method, path, body=None, token=None, base=URL, headers=None):
    """(status, headers, parsed JSON or None) of one request through nginx (or to `base`)."""
    request = urllib.request.Request(base + path, method=method, headers=headers or {})
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    return status, headers, (json.loads(raw) if raw else None)


def new_email():
    return f"e2e-{uuid.uuid4().hex[:12]}@example.com"


def wait_for_mail(to, subject, timeout=20):
    """The body of the first message to `to` with `subject`, delivered by the Workers."""
    deadline = time.monotonic() + timeout
    folder = os.path.join(MAILDIR, "new")
    while time.monotonic() < deadline:
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, name), "rb") as f:
                message = email.message_from_bytes(f.read())
            if to in (message["To"] or "") and message["Subject"] == subject:
                return message.get_payload(decode=True).decode()
        time.sleep(0.2)
    raise AssertionError(f"no mail '{subject}' to {to} within {timeout} s")


def link_in(body):
    return re.search(r"https?://\S+", body).group(0)


def token_in(link):
    return re.search(r"[?&]token=([A-Za-z0-9_-]+)", link).group(1)


REVOCATION_CACHE = int(os.environ.get("E2E_REVOCATION_CACHE_MS", "1000")) / 1000


def wait_until_revoked(token, within=5):
    """Polls /me until `token` is refused, then waits out the services' revocation cache
    (AUTH_REVOCATION_CACHE_MS, 200 ms in the e2e stack): with several instances behind nginx,
    each may have read the user's mark just before it was raised, and refuses the token within it."""
    deadline = time.monotonic() + within
    while call("GET", "/api/users/me", token=token)[0] == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(REVOCATION_CACHE + 0.1)


def create_admin(address, password="admin password"):
    """`AuthService create-admin` as an operator runs it, against the stack's database and Redis."""
    return subprocess.run([AUTH_BIN, "create-admin", "--email", address, "--password", password],
                          check=True, capture_output=True, text=True, env={**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL})


def sql(query):
    return subprocess.run([PSQL, DATABASE_URL, "-qtAX", "-c", query], check=True, capture_output=True, text=True).stdout.strip()


class AccountFlows(unittest.TestCase):
    def signup_and_login(self, address, password="correct horse"):
        status, _, user = call("POST", "/api/auth/signup", {"email": address, "password": password, "nickname": "E2E"})
        self.assertEqual(status, 201, user)
        status, _, session = call("POST", "/api/auth/login", {"email": address, "password": password})
        self.assertEqual(status, 200, session)
        return user, session

    def test_signup_mails_a_link_that_verifies_then_sessions_rotate_and_end(self):
        address = new_email()
        user, session = self.signup_and_login(address)
        self.assertIn("Welcome aboard", wait_for_mail(address, "Welcome to Content Platform"))
        link = link_in(wait_for_mail(address, "Confirm your email address"))
        self.assertTrue(link.startswith(URL + "/verify-email?token="), link)
        # The link as a mail client or a scanner opens it: a GET of a page that uses nothing.
        with urllib.request.urlopen(link, timeout=15) as response:
            self.assertEqual(response.status, 200)
            self.assertIn("text/html", response.headers["Content-Type"])
            self.assertIn("script-src 'self'", response.headers["Content-Security-Policy"])
            # The web client's page: its screen for /verify-email posts the token.
            self.assertIn('src="/js/main.js"', response.read().decode())
        with urllib.request.urlopen(URL + "/js/screens/mail-links.js", timeout=15) as response:
            self.assertIn("/api/auth/email/verify", response.read().decode())
        status, _, me = call("GET", "/api/users/me", token=session["accessToken"])
        self.assertEqual((status, me["emailVerified"]), (200, False))
        # What the page's button sends.
        status, _, verified = call("POST", "/api/auth/email/verify", {"token": token_in(link)})
        self.assertEqual((status, verified["emailVerified"]), (200, True))
        status, _, me = call("GET", "/api/users/me", token=session["accessToken"])
        self.assertEqual((status, me["id"], me["emailVerified"]), (200, user["id"], True))

        status, _, rotated = call("POST", "/api/auth/refresh", {"refreshToken": session["refreshToken"]})
        self.assertEqual(status, 200)
        self.assertNotEqual(rotated["refreshToken"], session["refreshToken"])
        self.assertEqual(call("POST", "/api/auth/logout", {"refreshToken": rotated["refreshToken"]})[0], 204)
        status, _, error = call("POST", "/api/auth/refresh", {"refreshToken": rotated["refreshToken"]})
        self.assertEqual((status, error["error"]["code"]), (401, "invalid_refresh_token"))

    def test_cookie_mode_login_refresh_logout_and_cross_origin_refusal(self):
        address = new_email()
        self.signup_and_login(address)
        mode = {"X-Auth-Mode": "cookie", "Origin": URL}
        status, headers, session = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"}, headers=mode)
        self.assertEqual(status, 200, session)
        self.assertNotIn("refreshToken", session)
        cookie = headers["Set-Cookie"]
        self.assertRegex(cookie, r"^refresh=[A-Za-z0-9_-]{43};")
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/api/auth/"):
            self.assertIn(attribute, cookie)
        jar = {"Cookie": cookie.split(";")[0]}
        status, headers, rotated = call("POST", "/api/auth/refresh", headers={**mode, **jar})
        self.assertEqual(status, 200, rotated)
        self.assertNotEqual(headers["Set-Cookie"].split(";")[0], jar["Cookie"])
        jar = {"Cookie": headers["Set-Cookie"].split(";")[0]}
        status, _, error = call("POST", "/api/auth/refresh", headers={**mode, **jar, "Origin": "https://evil.example"})
        self.assertEqual((status, error["error"]["code"]), (403, "origin_refused"))
        status, headers, _ = call("POST", "/api/auth/logout", headers={**mode, **jar})
        self.assertEqual(status, 204)
        self.assertIn("Max-Age=0", headers["Set-Cookie"])
        status, _, error = call("POST", "/api/auth/refresh", headers={**mode, **jar})
        self.assertEqual((status, error["error"]["code"]), (401, "invalid_refresh_token"))

    def test_change_password_ends_the_other_session(self):
        address = new_email()
        _, session = self.signup_and_login(address)
        _, _, other = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})
        status, _, fresh = call("POST", "/api/auth/password/change",
                                {"currentPassword": "correct horse", "newPassword": "another good one"}, token=session["accessToken"])
        self.assertEqual(status, 200, fresh)
        self.assertEqual(call("POST", "/api/auth/refresh", {"refreshToken": other["refreshToken"]})[0], 401)
        wait_until_revoked(other["accessToken"])
        self.assertEqual(call("GET", "/api/users/me", token=other["accessToken"])[0], 401)
        self.assertEqual(call("GET", "/api/users/me", token=fresh["accessToken"])[0], 200)
        self.assertIn("every device was signed out", wait_for_mail(address, "Your password was changed"))

    def test_deleting_an_account_removes_its_content_and_personal_data(self):
        address = new_email()
        user, session = self.signup_and_login(address)
        _, friend = self.signup_and_login(new_email())
        token = session["accessToken"]
        word = "탈퇴" + uuid.uuid4().hex[:6]
        status, _, post = call("POST", "/api/posts", {"title": word, "body": word, "tags": []}, token=token)
        self.assertEqual(status, 201, post)
        status, _, theirs = call("POST", "/api/posts", {"title": "남는 글", "body": "", "tags": []}, token=friend["accessToken"])
        self.assertEqual(call("POST", f"/api/posts/{theirs['id']}/like", token=token)[0], 204)
        self.assertEqual(call("POST", "/api/playlists", {"title": "mine", "visibility": "public"}, token=token)[0], 201)
        self.assertEqual(call("DELETE", "/api/users/me", {"password": "wrong one"}, token=token)[0], 403)
        self.assertEqual(call("DELETE", "/api/users/me", {"password": "correct horse"}, token=token)[0], 204)
        self.assertIn("have been deleted", wait_for_mail(address, "Your account was deleted"))

        deadline = time.monotonic() + 10
        while call("GET", f"/api/posts/{post['id']}")[0] != 404 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(call("GET", f"/api/posts/{post['id']}")[0], 404)
        _, _, found = call("GET", "/api/search?keyword=" + urllib.parse.quote(word))
        self.assertEqual(found["items"], [])
        self.assertEqual(call("GET", f"/api/posts/{theirs['id']}")[2]["likeCount"], 0)
        self.assertEqual(call("GET", f"/api/users/{user['id']}/playlists")[0], 404)
        uid = user["id"]
        left = sql(f"""SELECT (SELECT count(*) FROM auth.users WHERE id = '{uid}' OR email = '{address}')
                            + (SELECT count(*) FROM content.posts WHERE author_id = '{uid}')
                            + (SELECT count(*) FROM content.likes WHERE user_id = '{uid}')
                            + (SELECT count(*) FROM content.playlists WHERE owner_id = '{uid}')
                            + (SELECT count(*) FROM content.authors WHERE id = '{uid}' AND nickname IS NOT NULL)""")
        self.assertEqual(left, "0")
        # The audit trail keeps the id, and nothing that names or locates the person.
        deadline = time.monotonic() + 10
        query = f"""SELECT count(*) FROM audit.events WHERE (actor_id = '{uid}' OR target_id = '{uid}')
                    AND (client_address IS NOT NULL OR user_agent IS NOT NULL)"""
        while sql(query) != "0" and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(sql(query), "0")
        self.assertEqual(sql(f"SELECT payload::text FROM audit.events WHERE action = 'user.deleted' AND actor_id = '{uid}'"), "{}")
        self.assertEqual(sql(f"SELECT count(*) FROM queue.email_deliveries WHERE recipient = '{address}'"), "0")
        self.assertEqual(call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})[0], 401)

    def test_password_reset_by_mail_ends_old_sessions(self):
        address = new_email()
        _, session = self.signup_and_login(address)
        self.assertEqual(call("POST", "/api/auth/password/forgot", {"email": address})[0], 202)
        self.assertEqual(call("POST", "/api/auth/password/forgot", {"email": new_email()})[0], 202)
        link = link_in(wait_for_mail(address, "Reset your password"))
        self.assertTrue(link.startswith(URL + "/reset-password?token="), link)
        with urllib.request.urlopen(link, timeout=15) as response:
            self.assertIn('src="/js/main.js"', response.read().decode())
        with urllib.request.urlopen(URL + "/js/screens/mail-links.js", timeout=15) as response:
            script = response.read().decode()
            self.assertIn("/api/auth/password/reset", script)
            self.assertIn('id: "new-password"', script)
        token = token_in(link)
        self.assertEqual(call("POST", "/api/auth/password/reset", {"token": token, "newPassword": "brand new password"})[0], 204)
        self.assertEqual(call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})[0], 401)
        self.assertEqual(call("POST", "/api/auth/login", {"email": address, "password": "brand new password"})[0], 200)
        wait_until_revoked(session["accessToken"])
        status, _, error = call("GET", "/api/users/me", token=session["accessToken"])
        self.assertEqual((status, error["error"]["code"]), (401, "token_revoked"))

    def test_an_admin_made_by_the_cli_finds_bans_and_unbans(self):
        admin_address = new_email()
        create_admin(admin_address)
        status, _, admin = call("POST", "/api/auth/login", {"email": admin_address, "password": "admin password"})
        self.assertEqual((status, admin["user"]["role"]), (200, "ADMIN"))
        address = new_email()
        user, session = self.signup_and_login(address)
        status, _, _ = call("POST", "/api/posts", {"title": "admin e2e", "body": "", "tags": []}, token=session["accessToken"])
        self.assertEqual(status, 201)

        # The admin finds the account by the start of its address, through nginx: the account
        # from AuthService, what it owns from ContentService; a user may do neither.
        search = "/api/admin/users?query=" + urllib.parse.quote(address.split("@")[0] + "@ex")
        account = f"/api/admin/users/{user['id']}"
        for path in [search, account, account + "/content"]:
            self.assertEqual(call("GET", path)[0], 401, path)
            status, _, error = call("GET", path, token=session["accessToken"])
            self.assertEqual((status, error["error"]["code"]), (403, "forbidden"), path)
        status, _, page = call("GET", search, token=admin["accessToken"])
        self.assertEqual(status, 200, page)
        self.assertEqual(([item["id"] for item in page["items"]], page["nextCursor"]), ([user["id"]], None))
        self.assertEqual((page["items"][0]["email"], page["items"][0]["banned"]), (address, None))
        status, _, counts = call("GET", account + "/content", token=admin["accessToken"])
        self.assertEqual((status, counts), (200, {"posts": 1, "videos": 0, "playlists": 0}))

        ban = f"/api/admin/users/{user['id']}/ban"
        self.assertEqual(call("POST", ban, {"reason": "spam"}, token=session["accessToken"])[0], 403)
        self.assertEqual(call("POST", ban, {"reason": "spam"}, token=admin["accessToken"])[0], 204)
        status, _, shown = call("GET", account, token=admin["accessToken"])
        self.assertEqual((status, shown["banned"]["reason"], shown["banned"]["by"]), (200, "spam", admin["user"]["id"]))
        # Every look-up reaches the analysts' table; the searched address does not.
        expected, deadline, audited = {"admin.users_searched", "admin.user_viewed", "admin.user_content_viewed"}, time.monotonic() + 20, set()
        while time.monotonic() < deadline and not expected <= audited:
            audited = set(sql(f"SELECT DISTINCT action FROM audit.events WHERE actor_id = '{admin['user']['id']}'").split())
            time.sleep(0.3)
        self.assertLessEqual(expected, audited)
        self.assertEqual(sql(f"SELECT count(*) FROM audit.events WHERE action LIKE 'admin.%' AND payload::text LIKE '%{address.split('@')[0]}%'"), "0")
        wait_until_revoked(session["accessToken"])
        status, _, error = call("GET", "/api/users/me", token=session["accessToken"])
        self.assertEqual((status, error["error"]["code"]), (401, "token_revoked"))
        status, _, error = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})
        self.assertEqual((status, error["error"]["code"]), (403, "account_banned"))
        self.assertEqual(call("POST", f"/api/admin/users/{user['id']}/unban", token=admin["accessToken"])[0], 204)
        self.assertEqual(call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})[0], 200)

    def test_promoting_an_account_ends_its_sessions(self):
        address = new_email()
        _, session = self.signup_and_login(address)
        self.assertEqual(call("GET", "/api/users/me", token=session["accessToken"])[0], 200)
        create_admin(address, "a new admin password")
        # Neither the old refresh token nor the old access token outlives the promotion; the
        # services see the revocation mark within their cache's lifetime (1 s).
        self.assertEqual(call("POST", "/api/auth/refresh", {"refreshToken": session["refreshToken"]})[0], 401)
        wait_until_revoked(session["accessToken"])
        status, _, error = call("GET", "/api/users/me", token=session["accessToken"])
        self.assertEqual((status, error["error"]["code"]), (401, "token_revoked"))
        status, _, admin = call("POST", "/api/auth/login", {"email": address, "password": "a new admin password"})
        self.assertEqual((status, admin["user"]["role"]), (200, "ADMIN"))

    def test_events_reach_the_analysts_table_and_no_secret_is_stored_or_logged(self):
        address, password = new_email(), f"secret-{uuid.uuid4().hex}"
        user, session = self.signup_and_login(address, password)
        call("POST", "/api/auth/login", {"email": address, "password": "wrong password"})
        rotated = call("POST", "/api/auth/refresh", {"refreshToken": session["refreshToken"]})[2]
        mailed = token_in(link_in(wait_for_mail(address, "Confirm your email address")))
        expected = {"user.signed_up", "user.logged_in"}
        deadline, actions, failed = time.monotonic() + 20, set(), ""
        while time.monotonic() < deadline:
            actions = set(sql(f"SELECT action FROM audit.events WHERE actor_id = '{user['id']}'").split())
            failed = sql(f"SELECT count(*) FROM audit.events WHERE action = 'user.login_failed' AND target_id = '{user['id']}'")
            if expected <= actions and failed == "1":
                break
            time.sleep(0.3)
        self.assertLessEqual(expected, actions)
        self.assertEqual(failed, "1")
        secrets = [password, session["accessToken"], session["refreshToken"], rotated["refreshToken"], mailed]
        events = sql("SELECT coalesce(string_agg(payload::text || ' ' || coalesce(user_agent, ''), ' '), '') FROM audit.events")
        for secret in secrets:
            self.assertNotIn(secret, events)
        if LOG_DIR:
            time.sleep(0.5)
            for name in os.listdir(LOG_DIR):
                with open(os.path.join(LOG_DIR, name), errors="replace") as f:
                    log = f.read()
                for secret in secrets:
                    self.assertNotIn(secret, log, f"a secret in {name}")

    def test_access_tokens_verify_with_an_independent_jose_library(self):
        # What a client or another team's service would do: PyJWT, Auth's JWKS, nothing of ours.
        import jwt
        _, session = self.signup_and_login(new_email())
        token = session["accessToken"]
        status, _, jwks = call("GET", "/api/auth/jwks.json")
        self.assertEqual(status, 200)
        keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
        header = jwt.get_unverified_header(token)
        self.assertEqual(header["alg"], "EdDSA")
        claims = jwt.decode(token, key=keys[header["kid"]].key, algorithms=["EdDSA"],
                            audience="contentplatform", issuer="contentplatform-auth",
                            options={"require": ["exp", "iat", "sub", "jti"]})
        self.assertEqual(claims["sub"], session["user"]["id"])
        # Whole seconds, as libraries with no leeway expect; the millisecond apart, within iat's second.
        self.assertIsInstance(claims["iat"], int)
        self.assertIsInstance(claims["exp"], int)
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(claims["iat_ms"] // 1000, claims["iat"])
        # A token with one changed byte in its signature is refused.
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with self.assertRaises(jwt.InvalidSignatureError):
            jwt.decode(forged, key=keys[header["kid"]].key, algorithms=["EdDSA"], audience="contentplatform")

    def test_the_stacks_signing_keys_are_sealed(self):
        self.assertEqual(call("GET", "/api/auth/jwks.json")[0], 200)
        self.assertEqual(sql("SELECT bool_and(sealed) AND count(*) > 0 FROM auth.signing_keys"), "t")

    def test_errors_from_nginx_and_services_are_json(self):
        status, headers, body = call("POST", "/api/auth/login", {"email": "x@example.com"})
        self.assertEqual((status, body["error"]["code"]), (422, "missing_field"))
        self.assertIn("error", body)
        self.assertTrue(headers.get("X-Request-Id"))
        status, _, body = call("GET", "/api/nothing-here")
        self.assertEqual((status, body["error"]["code"]), (404, "not_found"))


class Logs(unittest.TestCase):
    def test_the_access_log_has_no_query_strings(self):
        if not NGINX_LOG:
            self.skipTest("E2E_NGINX_LOG not set")
        address = new_email()
        call("POST", "/api/auth/signup", {"email": address, "password": "correct horse", "nickname": "L"})
        link = link_in(wait_for_mail(address, "Confirm your email address"))
        urllib.request.urlopen(link, timeout=15).read()
        time.sleep(0.5)
        with open(NGINX_LOG) as f:
            log = f.read()
        self.assertIn("/verify-email", log)
        self.assertNotIn(token_in(link), log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
