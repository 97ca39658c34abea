"""The independent checker: the client's log of what was acknowledged against what Postgres and
the SMTP sink hold at the end. It knows the routes and the tables, nothing of the services' code.

`snapshot` reads the database and the sink; `check` is a pure function of the log and the snapshot
(so it is tested without a stack: deploy/test_chaos.py). Findings, per scenario:

  lost        an acknowledged write (or its mail, its audit row, its ledger row, its thumbnail or
              rendition) that is not there
  phantom     a refused write that is there anyway; a media file no video names
  duplicate   an effect that happened more than once (two mails with one Message-ID, two audit
              rows for one action or one event id, two files of one video's thumbnail); a
              failure unless the scenario names why its mail may be duplicated (`allowed`: a
              Workers process killed mid-send, or a known defect)
  mismatch    a count that does not add up (like_count against the likes, play_count against
              the acknowledged plays)
  violation   an answer the contract does not allow under a fault (500, 502/504, a 503 or 429
              without Retry-After, no answer within the deadline)
  jobs        a job left running with its lease gone, or dead without a reason; jobs still
              waiting with their last error (reported, not failures)
"""
import collections
import email
import json
import os

VERIFY_SUBJECT = "Confirm your email address"
WELCOME_SUBJECT = "Welcome to Content Platform"


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def json_rows(stack, query):
    return json.loads(stack.psql(f"SELECT coalesce(json_agg(t), '[]') FROM ({query}) t") or "[]")


def snapshot(stack):
    """What the database and the sink hold."""
    return {
        "users": json_rows(stack, "SELECT id, email, email_verified_at IS NOT NULL AS verified FROM auth.users "
                                  "WHERE email ~ '^(chaos|slow|probe)-'"),
        "posts": json_rows(stack, "SELECT p.id, p.title, p.like_count + coalesce((SELECT sum(delta) FROM content.like_deltas d "
                                  "WHERE d.post_id = p.id), 0) AS like_count FROM content.posts p WHERE title LIKE 'chaos %'"),
        "likes": json_rows(stack, "SELECT l.post_id, l.user_id FROM content.likes l JOIN content.posts p ON p.id = l.post_id "
                                  "WHERE p.title LIKE 'chaos %'"),
        "playlists": json_rows(stack, "SELECT id, owner_id FROM content.playlists"),
        "items": json_rows(stack, "SELECT id, playlist_id, video_id FROM content.playlist_items"),
        "videos": json_rows(stack, "SELECT v.id, v.title, v.status, v.failure_reason, v.thumbnail_path, v.rendition_path, v.play_count + "
                                   "coalesce((SELECT sum(1) FROM content.play_deltas d WHERE d.video_id = v.id), 0) AS play_count "
                                   "FROM content.videos v"),
        "audit": json_rows(stack, "SELECT action, actor_id, target_id, count(*) AS n FROM audit.events "
                                  "GROUP BY action, actor_id, target_id"),
        # GPTService's usage ledger: one gpt.asked event per answered question, by asker and
        # normalised question (the client cannot know the event's id).
        "ledger": json_rows(stack, "SELECT actor_id, payload ->> 'question' AS question, count(*) AS n FROM audit.events "
                                   "WHERE action = 'gpt.asked' GROUP BY 1, 2"),
        # The key is (event_id, occurred_at): an event stored again with another time is a second row.
        "event_ids": json_rows(stack, "SELECT event_id, min(action) AS action, count(*) AS n FROM audit.events "
                                      "GROUP BY event_id HAVING count(*) > 1"),
        "item_events": json_rows(stack, "SELECT payload ->> 'item_id' AS item, count(*) AS n FROM audit.events "
                                        "WHERE action = 'playlist.item_added' GROUP BY 1"),
        "jobs": json_rows(stack, "SELECT id, queue, kind, state, attempts, max_attempts, locked_until < now() AS lease_gone, "
                                 "run_at > now() AS later, errors -> -1 ->> 'error' AS last_error FROM queue.jobs"),
        "dead": json_rows(stack, "SELECT id, queue, kind, jsonb_array_length(errors) AS errors, errors -> -1 ->> 'error' "
                                 "AS last_error FROM queue.dead_jobs"),
        "mails": read_mails(stack.maildir),
        "media": read_media(os.path.join(stack.dir, "media")),
    }


MEDIA_FOLDERS = {"thumbnail": "thumbnails", "rendition": "renditions"}


def read_media(media_dir):
    """The Workers' outputs on disk: folder -> {file name: size}."""
    media = {}
    for folder in MEDIA_FOLDERS.values():
        path = os.path.join(media_dir, folder)
        names = sorted(os.listdir(path)) if os.path.isdir(path) else []
        media[folder] = {name: os.path.getsize(os.path.join(path, name)) for name in names}
    return media


def read_mails(maildir):
    mails = []
    for sub in ("new", "cur"):
        folder = os.path.join(maildir, sub)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, name), "rb") as f:
                message = email.message_from_bytes(f.read())
            mails.append({"to": (message["To"] or "").strip("<> "), "subject": message["Subject"],
                          "message_id": message["Message-ID"]})
    return mails


INTERRUPTED = "processing stopped: its worker was lost"


class Findings:
    KINDS = ("lost", "phantom", "duplicate", "mismatch", "violation", "interrupted")

    def __init__(self, allowed=None, interrupted=None):
        self.allowed = allowed or {}  # scenario -> why its mail may arrive twice
        # scenario -> why a video may fail because its worker was lost on every attempt
        self.interrupted = interrupted or {}
        self.by_scenario = collections.defaultdict(lambda: {k: [] for k in self.KINDS})
        self.jobs = {"stuck": [], "dead_without_reason": [], "dead": [], "waiting": []}

    def add(self, scenario, kind, what):
        self.by_scenario[scenario][kind].append(what)

    def failed(self):
        hard = ("lost", "phantom", "mismatch", "violation")
        return any(f[k] for f in self.by_scenario.values() for k in hard) or any(
            what for name, f in self.by_scenario.items() for what in f["duplicate"]
            if not (name in self.allowed and what.startswith("mail "))) or any(
            f["interrupted"] for name, f in self.by_scenario.items() if name not in self.interrupted) or bool(
            self.jobs["stuck"] or self.jobs["dead_without_reason"])


def contract_violation(record):
    """Why an answer breaks the contract under a fault, or None."""
    status = record["status"]
    if status == 0:
        return f"no answer within {record['ms']} ms ({record.get('error', 'timeout')})"
    if status in (500, 502, 504) or (status >= 505 and status != 507):
        return f"{status} {record.get('code') or ''}".strip()
    # 507: the media volume short of space for an upload (docs/api.md), always with Retry-After.
    if status in (429, 503, 507) and not record.get("retry_after"):
        return f"{status} without Retry-After"
    return None


def check(records, snap, allowed=None, interrupted=None):
    findings = Findings(allowed, interrupted)
    users = {u["email"]: u["id"] for u in snap["users"]}
    verified = {u["id"] for u in snap["users"] if u.get("verified")}
    item_events = {row["item"]: row["n"] for row in snap.get("item_events", [])}
    posts = {p["id"]: p for p in snap["posts"]}
    post_markers = {p["title"].split(" ", 1)[1] for p in snap["posts"]}
    likes = {(l["post_id"], l["user_id"]) for l in snap["likes"]}
    playlists = {p["id"] for p in snap["playlists"]}
    items = {(i["playlist_id"], i["video_id"]): i["id"] for i in snap["items"]}
    videos = {v["id"]: v for v in snap["videos"]}
    video_markers = {v["title"].split(" ", 1)[1] for v in snap["videos"] if v["title"].startswith("chaos ")}
    audit = collections.Counter()
    for row in snap["audit"]:
        audit[(row["action"], row["actor_id"], row["target_id"])] += row["n"]
    mails = collections.defaultdict(list)  # (address, subject) -> Message-IDs, one per copy
    for m in snap["mails"]:
        mails[(m["to"], m["subject"])].append(m["message_id"])
    message_ids = collections.Counter(m["message_id"] for m in snap["mails"] if m["message_id"])
    reported = set()
    ledger = collections.Counter()
    for row in snap.get("ledger", []):
        ledger[(row["actor_id"], row["question"])] += row["n"]
    media = snap.get("media", {})
    files_of = collections.defaultdict(list)  # (output, video id) -> its files on disk
    for output, folder in MEDIA_FOLDERS.items():
        for name in media.get(folder, {}):
            files_of[(output, name.split(".", 1)[0])].append(name)

    def audit_once(scenario, action, actor, target, what):
        found = sum(n for (a, who, on), n in audit.items() if a == action and (actor is None or who == actor)
                    and (target is None or on == target))
        if found == 0:
            findings.add(scenario, "lost", f"{what}: no {action} audit row")
        elif found > 1:
            findings.add(scenario, "duplicate", f"{what}: {found} {action} audit rows")

    def outputs_once(scenario, video):
        """One thumbnail and one rendition: the path on the row, that one file on disk, no other."""
        for output, folder in MEDIA_FOLDERS.items():
            path = video.get(f"{output}_path")
            expected = f"{folder}/{video['id']}." + ("jpg" if output == "thumbnail" else "mp4")
            names = files_of.get((output, video["id"]), [])
            if path != expected:
                findings.add(scenario, "lost", f"video {video['id']}: {output} path {path!r}, not {expected}")
            elif not media.get(folder, {}).get(os.path.basename(expected)):
                findings.add(scenario, "lost", f"video {video['id']}: {output} {expected} missing or empty on disk")
            if len(names) > 1:
                findings.add(scenario, "duplicate", f"video {video['id']}: {len(names)} {output} files ({', '.join(names)})")

    acked_likes = collections.Counter()
    unsure_likes = set()
    acked_plays = collections.Counter()
    unsure_plays = collections.Counter()
    refused_plays = collections.Counter()
    acked_questions = collections.Counter()
    unsure_questions = collections.Counter()
    question_scenario = {}
    playlist_ops = collections.defaultdict(list)
    for r in records:
        scenario, ids, outcome, kind = r["scenario"], r.get("ids", {}), r.get("outcome"), r["kind"]
        if outcome in ("ack", "refused", "unknown"):
            why = contract_violation(r)
            if why:
                findings.add(scenario, "violation", f"{r['phase']}: {kind} {r['method']} {r['path']}: {why}")
        if kind == "signup":
            address = ids["email"]
            if outcome == "ack":
                if users.get(address) != ids.get("id"):
                    findings.add(scenario, "lost", f"account {address} ({ids.get('id')})")
                    continue
                for subject in (VERIFY_SUBJECT, WELCOME_SUBJECT):
                    copies = mails[(address, subject)]
                    if not copies:
                        findings.add(scenario, "lost", f"mail '{subject}' to {address}")
                    for message_id in sorted(set(copies)):
                        if copies.count(message_id) > 1:
                            findings.add(scenario, "duplicate", f"mail {message_id} ('{subject}' to {address}) "
                                                                f"delivered {copies.count(message_id)} times")
                            reported.add(message_id)
                    if len(set(copies)) > 1:
                        findings.add(scenario, "duplicate", f"{len(set(copies))} different mails '{subject}' to {address}")
                audit_once(scenario, "user.signed_up", ids["id"], None, f"account {ids['id']}")
            elif outcome == "refused" and address in users:
                findings.add(scenario, "phantom", f"account {address} ({r['status']} {r.get('code')})")
        elif kind == "verify":
            if outcome == "ack" and ids["user"] not in verified:
                findings.add(scenario, "lost", f"verification of {ids['user']}")
        elif kind == "playlist_item_id":
            n = item_events.get(ids["item"], 0)
            if n != 1:
                findings.add(scenario, "lost" if n == 0 else "duplicate",
                             f"playlist item {ids['item']}: {n} playlist.item_added audit rows")
        elif kind == "post":
            if outcome == "ack":
                if ids.get("id") not in posts:
                    findings.add(scenario, "lost", f"post {ids.get('id')}")
                else:
                    audit_once(scenario, "post.created", None, str(ids["id"]), f"post {ids['id']}")
            elif outcome == "refused" and ids["marker"] in post_markers:
                findings.add(scenario, "phantom", f"post with marker {ids['marker']} ({r['status']} {r.get('code')})")
        elif kind == "like":
            key = (ids["post"], ids["user"])
            if outcome == "ack":
                acked_likes[ids["post"]] += 1
                if key not in likes:
                    findings.add(scenario, "lost", f"like of post {key[0]} by {key[1]}")
                else:
                    audit_once(scenario, "post.liked", key[1], str(key[0]), f"like of post {key[0]} by {key[1]}")
            elif outcome == "unknown":
                unsure_likes.add(key)
            elif outcome == "refused" and key in likes and r.get("code") != "token_expired":
                findings.add(scenario, "phantom", f"like of post {key[0]} by {key[1]} ({r['status']} {r.get('code')})")
        elif kind == "playlist_create":
            if outcome == "ack" and ids.get("id") not in playlists:
                findings.add(scenario, "lost", f"playlist {ids.get('id')}")
        elif kind in ("playlist_add", "playlist_remove"):
            playlist_ops[(ids["playlist"], ids["video"])].append((kind, outcome, r.get("code"), scenario))
        elif kind == "upload":
            if outcome == "ack":
                video = videos.get(ids.get("id"))
                if not video:
                    findings.add(scenario, "lost", f"video {ids.get('id')}")
                elif video["status"] == "failed" and (video.get("failure_reason") or "").startswith(INTERRUPTED):
                    # Its jobs' every attempt died with the worker: failed on purpose, so that a job
                    # that kills its worker cannot run for ever. Allowed only where the scenario says why.
                    findings.add(scenario, "interrupted", f"video {ids['id']}: {video['failure_reason']}")
                elif video["status"] != "ready":
                    findings.add(scenario, "lost", f"video {ids['id']} is {video['status']}, not ready (its thumbnail and rendition)")
                else:
                    audit_once(scenario, "video.uploaded", None, ids["id"], f"video {ids['id']}")
                    outputs_once(scenario, video)
            elif outcome == "refused" and ids["marker"] in video_markers:
                findings.add(scenario, "phantom", f"video with marker {ids['marker']}")
        elif kind == "play":
            key = (ids["video"], ids["user"])
            if outcome == "ack":
                acked_plays[ids["video"]] += 1
                audit_once(scenario, "video.played", ids["user"], ids["video"], f"play of video {ids['video']} by {ids['user']}")
            elif outcome == "unknown":
                unsure_plays[ids["video"]] += 1
            elif outcome == "refused":
                refused_plays[ids["video"]] += 1
        elif kind == "question" and "question" in ids:
            key = (ids["user"], ids["question"])
            question_scenario.setdefault(key, scenario)
            if outcome == "ack":
                acked_questions[key] += 1
            elif outcome == "unknown":
                unsure_questions[key] += 1

    # Like counts: the folded count (plus deltas not folded yet) is the number of likes, and the
    # likes are the acknowledged ones (and perhaps some whose answer never came).
    by_post = collections.Counter(post for post, _ in likes)
    for post_id, post in posts.items():
        if post["like_count"] != by_post[post_id]:
            findings.add("(end)", "mismatch", f"post {post_id}: like_count {post['like_count']}, {by_post[post_id]} likes")
        unsure = sum(1 for p, _ in unsure_likes if p == post_id)
        if not acked_likes[post_id] <= by_post[post_id] <= acked_likes[post_id] + unsure:
            findings.add("(end)", "mismatch", f"post {post_id}: {by_post[post_id]} likes, {acked_likes[post_id]} acknowledged "
                                              f"(+{unsure} unanswered)")

    # Play counts: each acknowledged play (one per account and ready video) counts once; one
    # whose answer never came may; a refused one may not.
    for video_id in sorted(set(acked_plays) | set(unsure_plays) | set(refused_plays)):
        video = videos.get(video_id)
        count = video["play_count"] if video else 0
        if not acked_plays[video_id] <= count <= acked_plays[video_id] + unsure_plays[video_id]:
            findings.add("(end)", "mismatch", f"video {video_id}: play_count {count}, {acked_plays[video_id]} plays acknowledged "
                                              f"(+{unsure_plays[video_id]} unanswered, {refused_plays[video_id]} refused)")

    # The usage ledger: one gpt.asked row per answered question, by asker and question; none for
    # a refused one.
    for key in sorted(set(ledger) | set(question_scenario), key=str):
        rows, acked, unsure = ledger[key], acked_questions[key], unsure_questions[key]
        if key not in question_scenario:
            continue  # asked by someone the log does not know (the probe, another client)
        scenario = question_scenario[key]
        what = f"question '{key[1]}' by {key[0]}: {rows} gpt.asked ledger rows, {acked} answered"
        if rows < acked:
            findings.add(scenario, "lost", what + (f" (+{unsure} unanswered)" if unsure else ""))
        elif rows > acked + unsure:
            findings.add(scenario, "duplicate" if acked else "phantom", what + (f" (+{unsure} unanswered)" if unsure else ""))

    # Audit events: one row per event id, whatever the action.
    for row in snap.get("event_ids", []):
        if row["n"] > 1:
            findings.add("(end)", "duplicate", f"audit event {row['event_id']} ({row['action']}): {row['n']} rows")

    # Media files that no video names (a deleted video's leftovers, an abandoned partial file).
    named = {(output, v["id"]) for v in videos.values() for output in MEDIA_FOLDERS if v.get(f"{output}_path")}
    for (output, video_id), names in sorted(files_of.items()):
        if (output, video_id) not in named:
            findings.add("(end)", "phantom", f"{output} file(s) {', '.join(names)} for no finished video")

    # Playlist items: the last operation whose outcome is known decides, unless an unanswered one
    # came after it.
    for (playlist, video), ops in playlist_ops.items():
        if ops[-1][1] == "unknown":
            continue
        last = [op for op in ops if op[1] == "ack"]
        if not last:
            if (playlist, video) in items and not any(op[1] == "unknown" for op in ops) and \
                    not any(op[2] == "already_in_playlist" for op in ops):
                findings.add(ops[-1][3], "phantom", f"playlist {playlist} holds video {video}, never acknowledged")
            continue
        kind, _, _, scenario = last[-1]
        present = (playlist, video) in items
        if kind == "playlist_add" and not present:
            findings.add(scenario, "lost", f"item of video {video} in playlist {playlist}")
        if kind == "playlist_remove" and present and ops[-1][1] != "unknown":
            findings.add(scenario, "phantom", f"item of video {video} in playlist {playlist} after its removal was acknowledged")

    for message_id, n in message_ids.items():
        if n > 1 and message_id not in reported:
            findings.add("(end)", "duplicate", f"mail {message_id} delivered {n} times")

    for job in snap["jobs"]:
        line = f"job {job['id']} ({job['queue']}/{job['kind']}, {job['state']}, attempt {job['attempts']}/{job['max_attempts']})"
        if job["state"] == "running" and job["lease_gone"]:
            findings.jobs["stuck"].append(line + " held by nobody")
        else:
            findings.jobs["waiting"].append(line + (f": {job['last_error']}" if job["last_error"] else ""))
    for job in snap["dead"]:
        line = f"dead job {job['id']} ({job['queue']}/{job['kind']})"
        if not job["errors"]:
            findings.jobs["dead_without_reason"].append(line)
        else:
            findings.jobs["dead"].append(f"{line}: {job['last_error']}")
    return findings
