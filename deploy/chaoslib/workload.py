"""The workload: a few actors (threads), each with accounts of its own, doing a mix of sign-ups,
logins, refreshes, posts, likes, playlist edits, small uploads and questions through nginx, at a
few requests per second in all. Every request is one line of the checker log (JSONL):

    {"t": unix time, "scenario", "phase", "actor", "kind", "method", "path", "status" (0: no
     answer), "outcome": "ack" (2xx) | "refused" (an answer that says it was not done: 4xx, 503) |
     "unknown" (no answer, or 500/502/504: it may or may not have happened),
     "ms", "code" (the error code), "retry_after", "ids": {what the write names}}

A play is one per account and video, of a video the account has just read as `ready` (a view in
the web client), so each acknowledged play counts once; a question names its normalised text
(`ids.question`, as GPTService's ledger stores it), the only thing the client knows of its ledger
event.

An actor's own accounts act one at a time, so the order of its writes is the order they happened.
"""
import http.client
import json
import random
import re
import threading
import time
import uuid
from urllib.parse import urlparse

BOUNDARY = "chaosboundary7f3a"
# The longest a request may take before it counts as a hang: the services' own deadlines (a
# pooled connection within 3 s, Redis within 2 s, the queue wait 0.5 s) leave a wide margin;
# questions may wait for the upstream (GPT_UPSTREAM_TIMEOUT_MS, 30 s).
DEADLINE = {"question": 35.0, "upload": 30.0}
DEFAULT_DEADLINE = 10.0
WRITES = {"signup", "verify", "post", "like", "playlist_create", "playlist_add", "playlist_remove", "upload", "play",
          "question"}


class Log:
    """The checker log: one JSON object per request, appended under a lock."""

    def __init__(self, path):
        self.file = open(path, "a")
        self.lock = threading.Lock()
        self.scenario, self.phase = "setup", "before"

    def write(self, record, when=None):
        """Appends `record`, in the scenario and phase of `when` (as at the request's start), or now's."""
        scenario, phase = when or (self.scenario, self.phase)
        record.update(scenario=scenario, phase=phase)
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()

    def close(self):
        self.file.close()


def outcome_of(status):
    if 200 <= status < 300:
        return "ack"
    if status in (0, 500, 502, 504):
        return "unknown"
    return "refused"


class Client:
    def __init__(self, base, log, actor):
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port or 80
        self.log, self.actor = log, actor

    def call(self, kind, method, path, body=None, token=None, raw=None, content_type=None, ids=None):
        """(status, parsed body or None); logs the request."""
        headers = {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if raw is not None:
            data, headers["Content-Type"] = raw, content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        deadline = DEADLINE.get(kind, DEFAULT_DEADLINE)
        when = (self.log.scenario, self.log.phase)
        started = time.monotonic()
        status, parsed, retry_after, error = 0, None, None, None
        connection = http.client.HTTPConnection(self.host, self.port, timeout=deadline)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw_body = response.read()
            status, retry_after = response.status, response.getheader("Retry-After")
            try:
                parsed = json.loads(raw_body) if raw_body else None
            except ValueError:
                parsed = None
        except (OSError, http.client.HTTPException) as failure:
            error = type(failure).__name__
        finally:
            connection.close()
        ms = round((time.monotonic() - started) * 1000)
        ids = dict(ids or {})
        if 200 <= status < 300 and isinstance(parsed, dict) and isinstance(parsed.get("id"), (str, int)):
            ids["id"] = parsed["id"]
        code = parsed.get("error", {}).get("code") if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict) else None
        record = {"t": round(time.time(), 3), "actor": self.actor, "kind": kind, "method": method,
                  "path": path, "status": status, "outcome": outcome_of(status), "ms": ms, "code": code,
                  "retry_after": retry_after, "ids": ids}
        if error:
            record["error"] = error
        self.log.write(record, when)
        return status, parsed, record


def clip():
    """A one-second video, small enough to be cheap for the Workers."""
    import os
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "clip.mp4")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x90:rate=10",
                        "-pix_fmt", "yuv420p", "-c:v", "mpeg4", path], check=True)
        with open(path, "rb") as f:
            return f.read()


def upload_form(marker, clip_bytes):
    """The multipart body of an upload titled "chaos <marker>"."""
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nchaos {marker}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n"
            f"Content-Type: video/mp4\r\n\r\n").encode() + clip_bytes + f"\r\n--{BOUNDARY}--\r\n".encode()


class Shared:
    """What the actors see of each other's acknowledged writes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posts = []   # acknowledged post ids
        self.videos = []  # acknowledged video ids


class Account:
    def __init__(self, email, password):
        self.email, self.password = email, password
        self.id = self.access = self.refresh = None
        self.liked = set()
        self.played = set()
        self.verified = False
        self.playlist = None
        self.items = {}  # item id -> video id, as acknowledged


class Actor(threading.Thread):
    WEIGHTS = {"signup": 1, "verify": 1, "login": 1, "refresh": 2, "post": 3, "like": 4, "playlist": 2, "upload": 0.3,
               "question": 1.5, "play": 1.5}

    def __init__(self, number, base, log, shared, stop, clip_bytes, maildir, pace=0.6, weights=None, uploads=None):
        self.maildir = maildir
        self.weights = weights or self.WEIGHTS
        self.uploads = uploads  # a shared budget of uploads (a list of one count), or None: no limit
        super().__init__(name=f"actor-{number}", daemon=True)
        self.number, self.client, self.shared, self.stop = number, Client(base, log, number), shared, stop
        self.clip, self.pace = clip_bytes, pace
        self.accounts = []
        self.random = random.Random(number)
        self.paused = threading.Event()

    def run(self):
        while not self.stop.is_set():
            if self.paused.is_set():
                time.sleep(0.1)
                continue
            try:
                if not [a for a in self.accounts if a.access]:
                    self.signup()
                else:
                    kinds, weights = zip(*self.weights.items())
                    getattr(self, self.random.choices(kinds, weights)[0])()
            except Exception as error:  # a bug in the workload must not end the run silently
                self.client.log.write({"t": time.time(), "actor": self.number, "kind": "workload_error",
                                       "status": -1, "outcome": "error", "error": repr(error), "ids": {}})
            self.stop.wait(self.random.uniform(0.5, 1.5) * self.pace)

    # Accounts --------------------------------------------------------------------------------

    def account(self):
        return self.random.choice([a for a in self.accounts if a.access])

    def signup(self, prefix="chaos"):
        account = Account(f"{prefix}-{uuid.uuid4().hex[:12]}@example.com", "chaos password")
        status, body, _ = self.client.call("signup", "POST", "/api/auth/signup",
                                           {"email": account.email, "password": account.password, "nickname": "Chaos"},
                                           ids={"email": account.email})
        if status == 201:
            account.id = body["id"]
            self.accounts.append(account)
            self.login(account)
        return status

    def verify(self):
        """An account's verification link, read from the sink's maildir, used as the page's button does."""
        waiting = [a for a in self.accounts if not a.verified]
        token = None
        for account in waiting:
            token = verification_token(self.maildir, account.email)
            if token:
                break
        if not token:
            return self.refresh()
        status, _, _ = self.client.call("verify", "POST", "/api/auth/email/verify", {"token": token}, ids={"user": account.id})
        if status in (200, 422):  # 422: used already (an earlier answer was lost)
            account.verified = True

    def login(self, account=None):
        account = account or self.random.choice(self.accounts)
        status, body, _ = self.client.call("login", "POST", "/api/auth/login",
                                           {"email": account.email, "password": account.password}, ids={"user": account.id})
        if status == 200:
            account.access, account.refresh = body["accessToken"], body["refreshToken"]

    def refresh(self):
        account = self.account()
        status, body, _ = self.client.call("refresh", "POST", "/api/auth/refresh", {"refreshToken": account.refresh},
                                           ids={"user": account.id})
        if status == 200:
            account.access, account.refresh = body["accessToken"], body["refreshToken"]
        elif status == 401:
            self.login(account)

    def authed(self, account, kind, method, path, body=None, ids=None, **raw):
        status, parsed, record = self.client.call(kind, method, path, body, token=account.access, ids=ids, **raw)
        if status == 401:
            self.login(account)
        return status, parsed, record

    # Writes ----------------------------------------------------------------------------------

    def post(self):
        account = self.account()
        marker = uuid.uuid4().hex
        status, body, record = self.authed(account, "post", "POST", "/api/posts",
                                           {"title": f"chaos {marker}", "body": f"Written by the fault suite ({marker}).",
                                            "tags": ["chaos"]}, ids={"marker": marker, "user": account.id})
        if status == 201:
            with self.shared.lock:
                self.shared.posts.append(body["id"])

    def like(self):
        account = self.account()
        with self.shared.lock:
            candidates = [p for p in self.shared.posts[-50:] if p not in account.liked]
        if not candidates:
            return self.post()
        post = self.random.choice(candidates)
        account.liked.add(post)  # one attempt per account and post, whatever the answer
        self.authed(account, "like", "POST", f"/api/posts/{post}/like", ids={"post": post, "user": account.id})

    def playlist(self):
        account = self.account()
        if account.playlist is None:
            status, body, _ = self.authed(account, "playlist_create", "POST", "/api/playlists",
                                          {"title": "chaos", "description": "", "visibility": "private"},
                                          ids={"user": account.id})
            if status == 201:
                account.playlist = body["id"]
            return
        if account.items and self.random.random() < 0.3:
            item = self.random.choice(sorted(account.items))
            status, _, _ = self.authed(account, "playlist_remove", "DELETE", f"/api/playlists/{account.playlist}/items/{item}",
                                       ids={"playlist": account.playlist, "item": item, "video": account.items[item]})
            if status == 204:
                del account.items[item]
            return
        with self.shared.lock:
            videos = [v for v in self.shared.videos if v not in account.items.values()]
        if not videos:
            return self.upload()
        video = self.random.choice(videos)
        status, body, _ = self.authed(account, "playlist_add", "POST", f"/api/playlists/{account.playlist}/items",
                                      {"videoId": video}, ids={"playlist": account.playlist, "video": video})
        if status == 201:
            item = body["items"][-1]["id"]  # the new item is last
            account.items[item] = video
            self.client.log.write({"t": time.time(), "actor": self.number, "kind": "playlist_item_id", "status": 201,
                                   "outcome": "note", "ids": {"playlist": account.playlist, "video": video, "item": item}})

    def upload(self):
        if self.uploads is not None:
            with self.shared.lock:
                allowed = self.uploads[0] > 0
                self.uploads[0] -= allowed
            if not allowed:
                return self.post()
        account = self.account()
        marker = uuid.uuid4().hex
        status, body, _ = self.authed(account, "upload", "POST", "/api/videos", raw=upload_form(marker, self.clip),
                                      content_type=f"multipart/form-data; boundary={BOUNDARY}",
                                      ids={"marker": marker, "user": account.id})
        if status == 202:
            with self.shared.lock:
                self.shared.videos.append(body["id"])

    def play(self):
        """A view: the video read, and its play recorded once it is ready (as the web player does)."""
        account = self.account()
        with self.shared.lock:
            candidates = [v for v in self.shared.videos[-50:] if v not in account.played]
        if not candidates:
            return self.refresh()
        video = self.random.choice(candidates)
        status, body, _ = self.authed(account, "read", "GET", f"/api/videos/{video}")
        if status != 200 or not isinstance(body, dict) or body.get("status") != "ready" or body.get("visibility") == "private":
            return
        account.played.add(video)  # one attempt per account and video, whatever the answer
        self.authed(account, "play", "POST", f"/api/videos/{video}/plays", ids={"video": video, "user": account.id})

    def question(self):
        account = self.account()
        # Mostly questions the cache answers; one in four new, so the upstream is asked too.
        topic = self.random.choice(["redis", "postgres", "nginx", "swift", "queues", "leases", "backoff", "mail"])
        question = f"What is {topic} for?" if self.random.random() < 0.75 else f"Explain {uuid.uuid4().hex[:10]} briefly"
        self.authed(account, "question", "POST", "/api/gpt/qna", {"question": question},
                    ids={"user": account.id, "question": normalized_question(question)})


def normalized_question(question):
    """The question as GPTService's ledger keeps it (`NormalizedQuestion.text`) for the plain ASCII
    questions of the workload: its words in lower case, one space apart, punctuation gone."""
    return " ".join(re.findall(r"[a-z0-9]+", question.lower()))[:100]


def verification_token(maildir, address):
    """The token in the newest verification mail to `address` at the sink, or None."""
    import email
    import os
    import re
    folder = os.path.join(maildir, "new")
    with _seen_lock:
        for name in sorted(set(os.listdir(folder)) - _seen.keys()):
            with open(os.path.join(folder, name), "rb") as f:
                message = email.message_from_bytes(f.read())
            token = None
            if message["Subject"] == "Confirm your email address":
                match = re.search(r"[?&]token=([A-Za-z0-9_-]+)", message.get_payload(decode=True).decode())
                token = match.group(1) if match else None
            _seen[name] = ((message["To"] or "").strip("<> "), token, os.stat(os.path.join(folder, name)).st_mtime)
        tokens = sorted((when, token) for to, token, when in _seen.values() if to == address and token)
    return tokens[-1][1] if tokens else None


_seen = {}  # the sink's files read so far: name -> (recipient, verification token, time)
_seen_lock = threading.Lock()


def mail_burst(client, count, prefix="slow"):
    """`count` sign-ups at once whose mail the sink takes 3 s each to accept (so a Workers process
    is mid-send when it dies). Returns the threads; each is one logged request."""
    def one():
        email = f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
        client.call("signup", "POST", "/api/auth/signup", {"email": email, "password": "chaos password", "nickname": "Burst"},
                    ids={"email": email})
    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads
