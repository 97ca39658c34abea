"""The fault suite's checker, without a stack: it must say `lost` when an acknowledged write is not
in the database, `phantom` when a refused one is, and pass a run where everything adds up.
`python3 -m unittest deploy/test_chaos.py` (deploy/test runs it; `deploy/chaos --self-test` too).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chaoslib.checker import check  # noqa: E402

USER = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"


def request(kind, status, ids, scenario="s", phase="fault", **extra):
    outcome = "ack" if 200 <= status < 300 else "unknown" if status in (0, 500, 502, 504) else "refused"
    return {"t": 0, "scenario": scenario, "phase": phase, "actor": 1, "kind": kind, "method": "POST", "path": "/x",
            "status": status, "outcome": outcome, "ms": 5, "code": None, "retry_after": "2" if status in (429, 503) else None,
            "ids": ids, **extra}


def mail(to, subject, message_id):
    return {"to": to, "subject": subject, "message_id": message_id}


def healthy():
    """A run of one sign-up, one post and a like, and the database and sink that match it."""
    records = [request("signup", 201, {"email": "chaos-a@example.com", "id": USER}),
               request("post", 201, {"marker": "m1", "user": USER, "id": 7}),
               request("like", 204, {"post": 7, "user": USER}),
               request("post", 503, {"marker": "m2", "user": USER})]
    snap = {
        "users": [{"id": USER, "email": "chaos-a@example.com"}],
        "posts": [{"id": 7, "title": "chaos m1", "like_count": 1}],
        "likes": [{"post_id": 7, "user_id": USER}],
        "playlists": [], "items": [], "videos": [],
        "audit": [{"action": "user.signed_up", "actor_id": USER, "target_id": USER, "n": 1},
                  {"action": "post.created", "actor_id": USER, "target_id": "7", "n": 1},
                  {"action": "post.liked", "actor_id": USER, "target_id": "7", "n": 1}],
        "jobs": [], "dead": [],
        "mails": [mail("chaos-a@example.com", "Confirm your email address", "<job-1@x>"),
                  mail("chaos-a@example.com", "Welcome to Content Platform", "<job-2@x>")],
    }
    return records, snap


class CheckerTests(unittest.TestCase):
    def test_a_run_where_everything_adds_up_passes(self):
        findings = check(*healthy())
        self.assertFalse(findings.failed(), dict(findings.by_scenario))

    def test_a_fabricated_acknowledged_post_is_lost(self):
        records, snap = healthy()
        records.append(request("post", 201, {"marker": "m3", "user": USER, "id": 99}))
        findings = check(records, snap)
        self.assertTrue(findings.failed())
        self.assertEqual(findings.by_scenario["s"]["lost"], ["post 99"])

    def test_a_deleted_mail_job_is_a_lost_mail(self):
        records, snap = healthy()
        snap["mails"] = snap["mails"][1:]
        findings = check(records, snap)
        self.assertGreaterEqual(len(findings.by_scenario["s"]["lost"]), 1)
        self.assertTrue(findings.failed())

    def test_a_lost_like_and_a_count_that_does_not_add_up(self):
        records, snap = healthy()
        snap["likes"] = []
        findings = check(records, snap)
        self.assertIn(f"like of post 7 by {USER}", findings.by_scenario["s"]["lost"])
        self.assertTrue(findings.by_scenario["(end)"]["mismatch"])

    def test_a_refused_write_that_is_there_is_a_phantom(self):
        records, snap = healthy()
        snap["posts"].append({"id": 8, "title": "chaos m2", "like_count": 0})
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["phantom"]), 1)
        self.assertTrue(findings.failed())

    def test_an_unanswered_write_may_or_may_not_be_there(self):
        records, snap = healthy()
        records.append(request("like", 0, {"post": 7, "user": OTHER}, error="timeout"))
        snap["likes"].append({"post_id": 7, "user_id": OTHER})
        snap["posts"][0]["like_count"] = 2
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["s"]["lost"] + findings.by_scenario["(end)"]["mismatch"], [])
        # ...but no answer within the deadline is a violation of the contract.
        self.assertEqual(len(findings.by_scenario["s"]["violation"]), 1)

    def test_a_mail_sent_twice_is_a_duplicate_with_its_id_and_fails_unless_the_scenario_allows_it(self):
        records, snap = healthy()
        snap["mails"].append(mail("chaos-a@example.com", "Welcome to Content Platform", "<job-2@x>"))
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["duplicate"]), 1)
        self.assertIn("<job-2@x>", findings.by_scenario["s"]["duplicate"][0])
        self.assertTrue(findings.failed())
        self.assertFalse(check(records, snap, allowed={"s": "a worker killed mid-send"}).failed())

    def test_an_audit_row_written_twice_fails_whatever_the_scenario(self):
        records, snap = healthy()
        snap["audit"][1]["n"] = 2
        findings = check(records, snap, allowed={"s": "a worker killed mid-send"})
        self.assertEqual(findings.by_scenario["s"]["duplicate"], ["post 7: 2 post.created audit rows"])
        self.assertTrue(findings.failed())

    def test_a_500_or_a_503_without_retry_after_is_a_violation(self):
        records, snap = healthy()
        records.append(request("post", 500, {"marker": "m4", "user": USER}))
        records.append(request("like", 503, {"post": 7, "user": OTHER}) | {"retry_after": None})
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["violation"]), 2)

    def test_a_507_is_documented_only_with_retry_after(self):
        records, snap = healthy()
        records.append(request("upload", 507, {"marker": "m5", "user": USER}) | {"retry_after": "300"})
        self.assertFalse(check(records, snap).failed())
        records.append(request("upload", 507, {"marker": "m6", "user": USER}))
        self.assertEqual(len(check(records, snap).by_scenario["s"]["violation"]), 1)

    def test_a_job_left_running_without_a_lease_fails_the_run(self):
        records, snap = healthy()
        snap["jobs"] = [{"id": 5, "queue": "email", "kind": "email.send", "state": "running", "attempts": 1,
                         "max_attempts": 10, "lease_gone": True, "later": False, "last_error": None}]
        findings = check(records, snap)
        self.assertEqual(len(findings.jobs["stuck"]), 1)
        self.assertTrue(findings.failed())

    def test_playlist_items_follow_the_last_acknowledged_edit(self):
        records, snap = healthy()
        p, v = "pl", "vid"
        records += [request("playlist_add", 201, {"playlist": p, "video": v, "id": p}),
                    request("playlist_remove", 204, {"playlist": p, "video": v, "item": "it"})]
        snap["items"] = [{"id": "it", "playlist_id": p, "video_id": v}]
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["phantom"]), 1)
        snap["items"] = []
        self.assertFalse(check(records, snap).failed())


if __name__ == "__main__":
    unittest.main()
