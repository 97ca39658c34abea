"""End-to-end checks with two instances of every service behind nginx (`deploy/dev e2e` starts
them with `up --instances 2`): what must be shared between instances holds when a client's
requests land on different ones, nginx spreads the load, and killing an instance mid-load loses
no request nginx could retry and shows the rest a JSON error, never an HTML page.

Runs last: it kills the second ContentService. Reads the pidfiles next to E2E_LOG_DIR, as
stack_checks does, to reach each instance directly.
"""
import concurrent.futures
import json
import os
import random
import signal
import time
import unittest
import urllib.error
import urllib.request

from auth_flows import NGINX_LOG, URL, call, new_email
from stack_checks import RUN_DIR, environment


def direct(name, method, path, body=None, token=None, headers=None):
    """(status, parsed JSON or None) of one request to one instance, past nginx."""
    status, _, parsed = call(method, path, body, token, base=f"http://127.0.0.1:{environment(name)['HTTP_PORT']}", headers=headers)
    return status, parsed


def raw_call(method, path, body=None, token=None):
    """(status, content type, body text) through nginx, whatever the body is; status 0 when the
    connection itself failed."""
    request = urllib.request.Request(URL + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()
    except OSError as error:
        return 0, "", str(error)


class TwoInstances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [name for name in ["auth-2", "content-2", "gpt-2", "workers-2"]
                   if not os.path.exists(os.path.join(RUN_DIR, f"{name}.pid"))]
        if missing:
            raise unittest.SkipTest(f"one instance per service (run `deploy/dev up --instances 2`): no {', '.join(missing)}")

    def session(self):
        # Straight to Auth, naming a client address of its own as nginx would (this machine is a
        # trusted proxy): the suite's earlier sign-ups used up the per-address allowance.
        address = new_email()
        client = {"X-Real-IP": f"198.51.100.{random.randint(1, 254)}"}
        status, body = direct("auth", "POST", "/api/auth/signup", {"email": address, "password": "correct horse", "nickname": "Two"}, headers=client)
        self.assertEqual(status, 201, body)
        status, session = direct("auth-2", "POST", "/api/auth/login", {"email": address, "password": "correct horse"}, headers=client)
        self.assertEqual(status, 200, session)
        return session

    def test_1_what_instances_share_holds_across_them(self):
        session = self.session()
        token = session["accessToken"]
        # Signing keys: a token from either Auth verifies on every instance of every service.
        for name in ["auth", "auth-2", "content", "content-2", "gpt", "gpt-2"]:
            path = "/api/users/me" if name.startswith("auth") else ("/api/gpt/quota" if name.startswith("gpt") else "/api/posts?size=1")
            status, body = direct(name, "GET", path, token=token)
            self.assertEqual(status, 200, f"{name}: {body}")
        # A refresh token rotated on one instance is spent on the other.
        status, pair = direct("auth", "POST", "/api/auth/refresh", {"refreshToken": session["refreshToken"]})
        self.assertEqual(status, 200, pair)
        self.assertEqual(direct("auth-2", "POST", "/api/auth/refresh", {"refreshToken": pair["refreshToken"]})[0], 200)
        # Quota and answer cache: asked on one GPT instance, counted and cached for the other.
        question = f"What do two instances share? {time.time_ns()}"
        status, first = direct("gpt", "POST", "/api/gpt/qna", {"question": question}, token=token)
        self.assertEqual((status, first["source"]), (200, "upstream"), first)
        status, second = direct("gpt-2", "POST", "/api/gpt/qna", {"question": question}, token=token)
        self.assertEqual((status, second["cached"]), (200, True), second)
        self.assertEqual(direct("gpt-2", "GET", "/api/gpt/quota", token=token)[1]["used"], 1)
        # Revocation: logout-all on one Auth ends the access token everywhere within a second.
        self.assertEqual(direct("auth-2", "POST", "/api/auth/logout-all", token=token)[0], 204)
        deadline = time.monotonic() + 3
        refused = set()
        while time.monotonic() < deadline and len(refused) < 4:
            # Routes that need a caller (deleting a post that does not exist is a 404 for a live one).
            for name, method, path in [("auth", "GET", "/api/users/me"), ("auth-2", "GET", "/api/users/me"),
                                       ("content", "DELETE", "/api/posts/0"), ("gpt", "GET", "/api/gpt/quota")]:
                status, body = direct(name, method, path, token=token)
                if status == 401 and body["error"]["code"] == "token_revoked":
                    refused.add(name)
            time.sleep(0.1)
        self.assertEqual(refused, {"auth", "auth-2", "content", "gpt"})

    def test_2_nginx_spreads_requests_over_the_instances(self):
        ports = {environment(name)["HTTP_PORT"] for name in ["content", "content-2"]}
        with open(NGINX_LOG) as log:
            log.seek(0, os.SEEK_END)
            # Concurrent, so least_conn has more than one request in flight to choose by.
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(lambda _: call("GET", "/api/posts?size=1")[0], range(64)))
            time.sleep(0.3)
            # The access log keeps no query strings.
            lines = [line for line in log.read().splitlines() if "\"GET /api/posts HTTP" in line]
        self.assertEqual(set(statuses), {200})
        used = {field.split(":")[-1] for line in lines for field in line.split() if field.startswith("up=")}
        self.assertEqual(used & ports, ports, f"upstreams seen: {used}")

    def test_3_killing_an_instance_mid_load_loses_no_retryable_request(self):
        session = self.session()
        token = session["accessToken"]
        with open(os.path.join(RUN_DIR, "content-2.pid")) as f:
            victim = int(f.read().strip())
        stop = time.monotonic() + 4
        killed_at = time.monotonic() + 1.5

        def reads():
            results = []
            while time.monotonic() < stop:
                results.append(raw_call("GET", "/api/posts?size=5"))
                time.sleep(0.1)  # under nginx's per-address rate limit, with the writers
            return results

        def writes():
            results = []
            while time.monotonic() < stop:
                results.append(raw_call("POST", "/api/posts", {"title": "written while an instance dies", "body": ""}, token))
                time.sleep(0.2)
            return results

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            readers = [pool.submit(reads) for _ in range(3)]
            writers = [pool.submit(writes) for _ in range(1)]
            time.sleep(max(0, killed_at - time.monotonic()))
            os.kill(victim, signal.SIGKILL)
            read_results = [r for future in readers for r in future.result()]
            write_results = [r for future in writers for r in future.result()]

        self.assertGreater(len(read_results), 30)
        failed_reads = [r for r in read_results if r[0] != 200]
        self.assertEqual(failed_reads[:3], [], "idempotent GETs must be retried on the live instance")
        for status, content_type, body in write_results:
            self.assertIn(status, (201, 502, 503, 504), body)
            self.assertTrue(content_type.startswith("application/json"), f"{status} {content_type}: {body[:200]}")
            if status != 201:
                self.assertIn("error", json.loads(body))
        # The one left serves everything.
        status, _, _ = raw_call("GET", "/api/posts?size=1")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
