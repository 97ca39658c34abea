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
VIDEO = "33333333-3333-3333-3333-333333333333"


def request(kind, status, ids, scenario="s", phase="fault", **extra):
    outcome = "ack" if 200 <= status < 300 else "unknown" if status in (0, 500, 502, 504) else "refused"
    return {"t": 0, "scenario": scenario, "phase": phase, "actor": 1, "kind": kind, "method": "POST", "path": "/x",
            "status": status, "outcome": outcome, "ms": 5, "code": None, "retry_after": "2" if status in (429, 503) else None,
            "ids": ids, **extra}


def mail(to, subject, message_id):
    return {"to": to, "subject": subject, "message_id": message_id}


def healthy():
    """A run of one sign-up, one post and a like, an upload played once, two questions, and the
    database, sink and media folder that match it."""
    records = [request("signup", 201, {"email": "chaos-a@example.com", "id": USER}),
               request("post", 201, {"marker": "m1", "user": USER, "id": 7}),
               request("like", 204, {"post": 7, "user": USER}),
               request("post", 503, {"marker": "m2", "user": USER}),
               request("upload", 202, {"marker": "v1", "user": USER, "id": VIDEO}),
               request("play", 204, {"video": VIDEO, "user": USER}),
               request("question", 200, {"user": USER, "question": "what is redis for"}),
               request("question", 200, {"user": USER, "question": "what is redis for"}),
               request("question", 503, {"user": USER, "question": "explain 0123abcd briefly"})]
    snap = {
        "users": [{"id": USER, "email": "chaos-a@example.com"}],
        "posts": [{"id": 7, "title": "chaos m1", "like_count": 1}],
        "likes": [{"post_id": 7, "user_id": USER}],
        "playlists": [], "items": [],
        "videos": [{"id": VIDEO, "title": "chaos v1", "status": "ready", "thumbnail_path": f"thumbnails/{VIDEO}.jpg",
                    "rendition_path": f"renditions/{VIDEO}.mp4", "play_count": 1}],
        "audit": [{"action": "user.signed_up", "actor_id": USER, "target_id": USER, "n": 1},
                  {"action": "post.created", "actor_id": USER, "target_id": "7", "n": 1},
                  {"action": "post.liked", "actor_id": USER, "target_id": "7", "n": 1},
                  {"action": "video.uploaded", "actor_id": USER, "target_id": VIDEO, "n": 1},
                  {"action": "video.played", "actor_id": USER, "target_id": VIDEO, "n": 1}],
        "ledger": [{"actor_id": USER, "question": "what is redis for", "n": 2}],
        "event_ids": [],
        "jobs": [], "dead": [],
        "mails": [mail("chaos-a@example.com", "Confirm your email address", "<job-1@x>"),
                  mail("chaos-a@example.com", "Welcome to Content Platform", "<job-2@x>")],
        "media": {"thumbnails": {f"{VIDEO}.jpg": 2048}, "renditions": {f"{VIDEO}.mp4": 40960}},
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

    def test_a_video_with_two_thumbnail_files_is_a_duplicate_with_its_id(self):
        records, snap = healthy()
        snap["media"]["thumbnails"][f"{VIDEO}.jpg.partial"] = 1024
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["s"]["duplicate"],
                         [f"video {VIDEO}: 2 thumbnail files ({VIDEO}.jpg, {VIDEO}.jpg.partial)"])
        self.assertTrue(findings.failed())

    def test_a_ready_video_without_its_rendition_on_disk_is_lost(self):
        records, snap = healthy()
        snap["media"]["renditions"] = {}
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["s"]["lost"], [f"video {VIDEO}: rendition renditions/{VIDEO}.mp4 missing or empty on disk"])
        snap["media"]["renditions"] = {f"{VIDEO}.mp4": 0}
        self.assertTrue(check(records, snap).failed())

    def test_a_media_file_of_no_video_is_a_phantom(self):
        records, snap = healthy()
        snap["media"]["renditions"]["44444444-4444-4444-4444-444444444444.mp4"] = 100
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["(end)"]["phantom"]), 1)
        self.assertTrue(findings.failed())

    def test_a_video_failed_because_its_worker_was_lost_passes_only_where_the_scenario_says_why(self):
        records, snap = healthy()
        records = [r for r in records if r["kind"] != "play"]
        snap["audit"] = [a for a in snap["audit"] if a["action"] != "video.played"]
        video = snap["videos"][0]
        video.update(status="failed", failure_reason="processing stopped: its worker was lost (attempt 3 of 3)",
                     thumbnail_path=None, rendition_path=None, play_count=0)
        snap["media"] = {"thumbnails": {}, "renditions": {}}
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["s"]["interrupted"],
                         [f"video {VIDEO}: processing stopped: its worker was lost (attempt 3 of 3)"])
        self.assertTrue(findings.failed())
        self.assertFalse(check(records, snap, interrupted={"s": "the Workers killed on every attempt"}).failed())
        # Failed for another reason it is lost, whatever the scenario says.
        video["failure_reason"] = "the video could not be encoded"
        findings = check(records, snap, interrupted={"s": "the Workers killed on every attempt"})
        self.assertEqual(len(findings.by_scenario["s"]["lost"]), 1)
        self.assertTrue(findings.failed())

    def test_a_play_missing_from_the_count_is_a_mismatch(self):
        records, snap = healthy()
        snap["videos"][0]["play_count"] = 0
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["(end)"]["mismatch"],
                         [f"video {VIDEO}: play_count 0, 1 plays acknowledged (+0 unanswered, 0 refused)"])
        self.assertTrue(findings.failed())

    def test_a_refused_play_that_counted_is_a_mismatch_and_an_unanswered_one_may_count(self):
        records, snap = healthy()
        records.append(request("play", 503, {"video": VIDEO, "user": OTHER}))
        snap["videos"][0]["play_count"] = 2
        self.assertTrue(check(records, snap).failed())
        records[-1] = request("play", 0, {"video": VIDEO, "user": OTHER})
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["(end)"]["mismatch"], [])

    def test_a_missing_ledger_row_is_lost_and_an_extra_one_a_duplicate(self):
        records, snap = healthy()
        snap["ledger"][0]["n"] = 1
        findings = check(records, snap)
        self.assertEqual(findings.by_scenario["s"]["lost"],
                         [f"question 'what is redis for' by {USER}: 1 gpt.asked ledger rows, 2 answered"])
        self.assertTrue(findings.failed())
        snap["ledger"][0]["n"] = 3
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["duplicate"]), 1)
        self.assertTrue(findings.failed())

    def test_a_ledger_row_for_a_refused_question_is_a_phantom(self):
        records, snap = healthy()
        snap["ledger"].append({"actor_id": USER, "question": "explain 0123abcd briefly", "n": 1})
        findings = check(records, snap)
        self.assertEqual(len(findings.by_scenario["s"]["phantom"]), 1)

    def test_an_audit_event_id_stored_twice_is_a_duplicate_whatever_the_scenario(self):
        records, snap = healthy()
        snap["event_ids"] = [{"event_id": "55555555-5555-5555-5555-555555555555", "action": "gpt.asked", "n": 2}]
        findings = check(records, snap, allowed={"s": "a worker killed mid-send"})
        self.assertEqual(findings.by_scenario["(end)"]["duplicate"],
                         ["audit event 55555555-5555-5555-5555-555555555555 (gpt.asked): 2 rows"])
        self.assertTrue(findings.failed())


if __name__ == "__main__":
    unittest.main()
