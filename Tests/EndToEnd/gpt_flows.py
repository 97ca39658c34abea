"""End-to-end tests of the question path through nginx, against the whole stack `deploy/dev e2e`
starts: nginx, GPTService, AuthService (for a signed-in caller), the Workers (the usage ledger
in audit.events) and the LLM stand-in.

Besides the variables auth_flows.py reads, E2E_LLM_URL is the stand-in's address, for its
call counts and switches.
"""
import http.client
import json
import os
import time
import unittest
import urllib.parse
import urllib.request
import uuid

from auth_flows import URL, call, new_email, sql

LLM_URL = os.environ.get("E2E_LLM_URL", "http://127.0.0.1:8089")


def stub(path, body=None):
    request = urllib.request.Request(LLM_URL + path, method="POST" if body is not None else "GET")
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def stream(question, token=None):
    """The events of a streamed answer through nginx, each with the seconds since the request."""
    target = urllib.parse.urlparse(URL)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    connection.request("POST", "/api/gpt/qna", json.dumps({"question": question}), headers)
    response = connection.getresponse()
    events, name = [], None
    while True:
        line = response.readline()
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:]), time.monotonic() - started))
            name = None
    connection.close()
    return response.status, events


class QuestionFlows(unittest.TestCase):
    def session(self):
        address = new_email()
        status, _, _ = call("POST", "/api/auth/signup", {"email": address, "password": "correct horse", "nickname": "Q"})
        self.assertEqual(status, 201)
        status, _, session = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})
        self.assertEqual(status, 200, session)
        return session["accessToken"], session["user"]["id"]

    def test_an_answer_is_cached_and_quota_headers_come_with_it(self):
        token, _ = self.session()
        question = f"What is the e2e question {uuid.uuid4().hex[:8]}?"
        calls = stub("/stats")["requests"]
        status, headers, body = call("POST", "/api/gpt/qna", {"question": question}, token)
        self.assertEqual((status, body["source"], body["cached"]), (200, "upstream", False))
        self.assertEqual(headers["X-RateLimit-Limit"], str(int(headers["X-RateLimit-Remaining"]) + 1))
        self.assertTrue(headers.get("X-Request-Id"))
        status, headers, again = call("POST", "/api/gpt/qna", {"question": question.upper()}, token)
        self.assertEqual((status, again["source"], again["answer"]), (200, "exact", body["answer"]))
        self.assertEqual(stub("/stats")["requests"], calls + 1)
        status, _, quota = call("GET", "/api/gpt/quota", token=token)
        self.assertEqual((status, quota["used"]), (200, 1))

    def test_a_signed_in_user_is_graded_by_the_token(self):
        token, _ = self.session()
        _, _, quota = call("GET", "/api/gpt/quota", token=token)
        _, _, anonymous = call("GET", "/api/gpt/quota")
        # An unverified account gets more than an anonymous address, and its own count.
        self.assertGreater(quota["limit"], anonymous["limit"])
        self.assertEqual(quota["used"], 0)

    def test_answers_stream_through_nginx_as_they_come(self):
        stub("/config", {"stream_chunk_ms": 150})
        try:
            token, _ = self.session()
            status, events = stream(f"stream through nginx {uuid.uuid4().hex[:8]}", token)
        finally:
            stub("/config", {"stream_chunk_ms": 20})
        self.assertEqual(status, 200)
        deltas = [e for e in events if e[0] is None]
        done = events[-1]
        self.assertEqual(done[0], "done")
        self.assertEqual("".join(e[1]["delta"] for e in deltas), done[1]["answer"])
        # nginx passed the first piece on long before the last: not buffered.
        self.assertGreater(len(deltas), 3)
        self.assertLess(deltas[0][2], done[2] - 0.4)

    def test_each_answer_reaches_the_analysts_views(self):
        token, user_id = self.session()
        question = f"ledger question {uuid.uuid4().hex[:8]}"
        for _ in range(2):
            self.assertEqual(call("POST", "/api/gpt/qna", {"question": question}, token)[0], 200)
        deadline = time.monotonic() + 20
        rows = ""
        while time.monotonic() < deadline:
            rows = sql(f"SELECT string_agg(payload->>'source', ',' ORDER BY occurred_at) FROM audit.events "
                       f"WHERE action = 'gpt.asked' AND actor_id = '{user_id}'")
            if rows.count(",") >= 1:
                break
            time.sleep(0.2)
        self.assertEqual(rows, "upstream,exact")
        top = sql(f"SELECT asked, from_cache FROM audit.gpt_top_questions WHERE question = '{question}'")
        self.assertEqual(top, "2|1")
        self.assertNotEqual(sql("SELECT count(*) FROM audit.gpt_daily_cost"), "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
