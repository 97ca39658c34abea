"""The faults. Each scenario runs while the workload goes on: `before` (steady), `fault` (from the
injection until the stack answers again), `after` (recovered). Time to recover is from the heal
to the first round of probes that all succeed: a read from each service through nginx, the
probe account's /me (Auth and Redis) and a post (Content's writes)."""
import collections
import http.client
import itertools
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid

from .hosts import poll, run as sh
from .stack import DATABASE_ADDRESS, SERVICES, STANDBY
from .workload import BOUNDARY, Actor, Client, Shared, clip, mail_burst, upload_form


class NotAvailable(Exception):
    """This machine cannot inject the fault (e.g. a kernel without sch_netem)."""


class Scenario:
    name = ""
    about = ""
    hold = 10  # seconds the fault lasts
    # Why this fault may deliver a mail twice (with one Message-ID); empty: it must not.
    duplicate_mail = ""
    # Why a video may end failed because its worker was lost on each attempt; empty: it must not.
    interrupted_videos = ""
    # The Content instances reach Postgres through the stack's delay line (Stack.pg_relay).
    pg_relay = False

    def inject(self, ctx):
        raise NotImplementedError

    def heal(self, ctx):
        raise NotImplementedError

    def recovered(self, ctx):
        """What this fault stopped works again (beyond the probes)."""
        return True

    def problems(self, ctx):
        """What the scenario saw break its promise, beyond the checker's findings (each fails the run)."""
        return []

    def details(self, ctx):
        """Figures of its own for the report."""
        return []


def mid_send(ctx):
    """Waits until a mail of the burst is being sent: its delivery row claimed ('sending'); the sink
    takes 3 s to accept a slow-*@ message."""
    poll("a mail being sent", lambda: int(ctx.stack.psql(
        "SELECT count(*) FROM queue.email_deliveries WHERE state = 'sending' AND recipient LIKE 'slow-%'")) > 0, 20, 0.1)
    time.sleep(0.5)  # into the send (connection, envelope, the message's DATA)


class WorkersKill(Scenario):
    name = "workers-kill"
    about = "kill -9 of the Workers process mid-job during a burst of sign-up mail; started again 3 s later"
    hold = 3
    duplicate_mail = "the documented window: a Workers process killed between the server's acceptance and the 'sent' mark"

    def inject(self, ctx):
        ctx.burst = mail_burst(Client(ctx.stack.url, ctx.log, "burst"), 8)
        mid_send(ctx)
        ctx.stack.procs["workers"].kill9()
        ctx.note(f"{self.name}: Workers killed (kill -9) with a mail being sent")
        if ctx.break_jobs:
            # The deliberately broken build: a job deleted before its effect (the checker must
            # report the lost mail).
            gone = ctx.stack.psql("DELETE FROM queue.jobs WHERE id = (SELECT min(id) FROM queue.jobs WHERE queue = 'email') "
                                  "RETURNING id")
            ctx.note(f"{self.name}: --break-jobs deleted email job {gone} before it ran")

    def heal(self, ctx):
        for thread in ctx.burst:
            thread.join(15)
        ctx.stack.start("workers")

    def recovered(self, ctx):
        # The mail backlog sent: the killed attempts' leases ran out and were claimed again.
        return ctx.stack.psql("SELECT count(*) FROM queue.jobs WHERE queue = 'email' AND run_at < now() + interval '20 seconds'") == "0"


class PostgresRestart(Scenario):
    name = "postgres-restart"
    about = "Postgres stopped (fast shutdown: sessions cut off) under load, started again 5 s later"
    hold = 5

    def inject(self, ctx):
        ctx.stack.procs["postgres"].stop(signal.SIGINT, timeout=30)

    def heal(self, ctx):
        ctx.stack.start("postgres")


class PostgresRestartMidSend(Scenario):
    name = "postgres-restart-mid-send"
    about = ("Postgres stopped (fast shutdown) while the Workers are sending a burst of sign-up mail (the sink takes 3 s "
             "to accept each), started again 5 s later: the sends finish while Postgres is away")
    hold = 5

    def inject(self, ctx):
        ctx.burst = mail_burst(Client(ctx.stack.url, ctx.log, "burst"), 6)
        mid_send(ctx)
        ctx.stack.procs["postgres"].stop(signal.SIGINT, timeout=30)

    def heal(self, ctx):
        ctx.stack.start("postgres")
        for thread in ctx.burst:
            thread.join(15)

    def recovered(self, ctx):
        return ctx.stack.psql("SELECT count(*) FROM queue.jobs WHERE queue = 'email' AND run_at < now() + interval '20 seconds'") == "0"


class PostgresKill(Scenario):
    name = "postgres-kill"
    about = "Postgres stopped with SIGQUIT (`-m immediate`: no checkpoint, crash recovery at the next start) under load, started again 5 s later"
    hold = 5

    def inject(self, ctx):
        ctx.stack.procs["postgres"].stop(signal.SIGQUIT, timeout=30)

    def heal(self, ctx):
        ctx.stack.start("postgres")


class PostgresFailover(Scenario):
    name = "postgres-failover"
    # Seconds from the cut to the failover (a failover manager's detection; Patroni's TTL is 30 s).
    # The requests in flight at the cut wait for TCP's first retransmission after the move: with
    # 15 s, past the client's deadline (docs/reliability.md).
    detect = float(os.environ.get("CHAOS_FAILOVER_DETECT", "3"))
    about = (f"the primary Postgres cut off under load (its switch port down); {detect:g} s later fenced (the floating "
             "address removed, Postgres stopped), its synchronous standby promoted and the address moved to it "
             "(gratuitous ARP); the old primary stays out")
    hold = 0
    lag = 5  # --async-standby: seconds the asynchronous standby is cut off before the primary

    def inject(self, ctx):
        stack = ctx.stack
        if stack.primary != "postgres":
            raise NotAvailable("no standby left: this run has already failed over")
        stack.wait_synchronous()
        if ctx.async_standby:
            # What a failover to an asynchronous standby loses: the commits it had not received.
            # Its link goes first, so it falls `lag` seconds behind while the primary acknowledges.
            stack.pg_admin(stack.primary, "ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()")
            stack.net.unplug(STANDBY)
            ctx.note(f"{self.name}: --async-standby: the standby made asynchronous and unplugged for {self.lag} s")
            ctx.stop.wait(self.lag)
        cut = time.monotonic()
        stack.net.unplug(stack.primary)
        if ctx.async_standby:
            stack.net.plug(STANDBY)
        ctx.note(f"{self.name}: {stack.primary} unplugged from the switch")
        ctx.stop.wait(self.detect)
        stack.fail_over(lambda message: ctx.note(f"{self.name}: {message} ({time.monotonic() - cut:.1f} s after the cut)"))

    def heal(self, ctx):
        pass  # the old primary stays fenced: re-joining it as a standby is pg_rewind's job

    def recovered(self, ctx):
        return ctx.stack.psql("SELECT pg_is_in_recovery()") == "f"


class RedisKill(Scenario):
    name = "redis-kill"
    about = "kill -9 of Redis under load (its append-only file synced every second), started again 3 s later"
    hold = 3

    def inject(self, ctx):
        ctx.stack.procs["redis"].kill9()

    def heal(self, ctx):
        ctx.stack.start("redis")


class RedisFreeze(Scenario):
    name = "redis-freeze"
    about = "Redis frozen (SIGSTOP: connections open, nothing answered) for 10 s, then SIGCONT"
    hold = 10

    def inject(self, ctx):
        ctx.stack.procs["redis"].send(signal.SIGSTOP)

    def heal(self, ctx):
        ctx.stack.procs["redis"].send(signal.SIGCONT)


class RedisPartition(Scenario):
    name = "redis-partition"
    about = "Redis's host unplugged from the switch (its port link down) for 10 s, then plugged back"
    hold = 10

    def inject(self, ctx):
        ctx.stack.net.unplug("redis")

    def heal(self, ctx):
        ctx.stack.net.plug("redis")


class PostgresLatency(Scenario):
    name = "postgres-latency"
    about = ("200 ms ± 50 ms added each way between the Content instances and Postgres (a delay line on each Content "
             "host: the kernel has no sch_netem) for 15 s")
    hold = 15
    pg_relay = True

    def inject(self, ctx):
        with open(ctx.stack.pg_delay, "w") as f:
            f.write("200 50\n")

    def heal(self, ctx):
        with open(ctx.stack.pg_delay, "w") as f:
            f.write("0\n")


class PostgresLoss(Scenario):
    name = "postgres-loss"
    about = "20 % of the packets from one Content instance to Postgres dropped (nftables in its host) for 15 s"
    hold = 15

    def inject(self, ctx):
        rules = (f"table inet chaos {{\n chain out {{\n type filter hook output priority 0;\n"
                 f" ip daddr {DATABASE_ADDRESS} numgen random mod 100 < 20 drop\n }}\n}}\n")
        done = subprocess.run(["ip", "netns", "exec", ctx.stack.net.hosts["content2"][0], "nft", "-f", "-"], input=rules,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise NotAvailable(f"nftables is not available here: {(done.stderr or done.stdout).strip()}")

    def heal(self, ctx):
        sh("ip", "netns", "exec", ctx.stack.net.hosts["content2"][0], "nft", "delete table inet chaos")


class PostgresPartitionOne(Scenario):
    name = "postgres-partition-one"
    about = ("one Content instance cut off from Postgres (a blackhole route to it in the instance's host) for 10 s; "
             "nginx still sends it requests")
    hold = 10

    def route(self, ctx, action):
        sh("ip", "-n", ctx.stack.net.hosts["content2"][0], "route", action, "blackhole", f"{DATABASE_ADDRESS}/32")

    def inject(self, ctx):
        self.route(ctx, "add")

    def heal(self, ctx):
        self.route(ctx, "del")


class LLMSlow(Scenario):
    name = "llm-slow"
    about = "the LLM upstream answering after 40 s (past GPTService's deadline, GPT_UPSTREAM_TIMEOUT_MS: 10 s in the suite) for 15 s"
    hold = 15

    def inject(self, ctx):
        ctx.llm_config({"latency_ms": 40000})

    def heal(self, ctx):
        ctx.llm_config({"latency_ms": 200})


class InstanceKill(Scenario):
    name = "instance-kill"
    about = "kill -9 of one of the two ContentService instances behind nginx under load; started again 5 s later"
    hold = 5

    def inject(self, ctx):
        ctx.stack.procs["content"].kill9()

    def heal(self, ctx):
        ctx.stack.start("content")


class RollingRestart(Scenario):
    name = "rolling-restart"
    about = ("SIGTERM to every service instance and the Workers, one at a time, each started again and ready, "
             "and nginx's fail_timeout (5 s) waited out, before the next (a deploy)")
    hold = 0
    # nginx rests an instance that refused a connection for fail_timeout (5 s in the dev profile):
    # stopping the next one sooner leaves nginx no live instance, and it answers 502 at once.
    settle = 6

    def inject(self, ctx):
        for name in SERVICES:
            process = ctx.stack.procs[name]
            started = time.monotonic()
            process.stop(signal.SIGTERM, timeout=30)
            ctx.stack.start(name)
            ctx.note(f"{self.name}: {name} stopped (SIGTERM) and ready again in {time.monotonic() - started:.1f} s")
            ctx.stop.wait(self.settle)

    def heal(self, ctx):
        pass


class LLMFailing(Scenario):
    name = "llm-failing"
    about = "every LLM upstream call failing with 500 (the stub's /config failure_rate 1) for 15 s"
    hold = 15

    def inject(self, ctx):
        ctx.llm_config({"failure_rate": 1.0, "failure_status": 500})

    def heal(self, ctx):
        ctx.llm_config({"failure_rate": 0.0, "failure_status": 0})


def ask(ctx, question, stream=False, timeout=40):
    """The probe account's question: (status, the Answer or the event stream's text, ms). Not in the
    checker log when streamed (the log's client reads JSON)."""
    if not stream:
        status, body, record = ctx.prober.client.call("question", "POST", "/api/gpt/qna", {"question": question},
                                                      token=ctx.prober.token)
        return status, body, record["ms"]
    started = time.monotonic()
    connection = http.client.HTTPConnection(ctx.stack.addr("nginx"), 80, timeout=timeout)
    try:
        connection.request("POST", "/api/gpt/qna", json.dumps({"question": question, "stream": True}),
                           {"Content-Type": "application/json", "Authorization": f"Bearer {ctx.prober.token}"})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), round((time.monotonic() - started) * 1000)
    except OSError as error:
        return 0, repr(error), round((time.monotonic() - started) * 1000)
    finally:
        connection.close()


def quota_used(ctx):
    status, body, _ = ctx.prober.client.call("read", "GET", "/api/gpt/quota", token=ctx.prober.token)
    return body["used"] if status == 200 else None


class LLMHangMidStream(Scenario):
    name = "llm-hang-mid-stream"
    about = ("the LLM upstream sending two chunks of each answer and then nothing, the connection open (the stub's "
             "hang_after_chunks 2), for 15 s, past GPTService's whole-answer deadline (GPT_UPSTREAM_TIMEOUT_MS, 10 s here)")
    hold = 15

    def inject(self, ctx):
        ctx.prober.round()  # the probe account logged in
        used = quota_used(ctx)
        ctx.llm_config({"hang_after_chunks": 2})
        marker = uuid.uuid4().hex[:10]
        plain, streamed = {}, {}

        def one(result, stream):
            result["answer"] = ask(ctx, f"Hang probe {marker} {'streamed' if stream else 'plain'}", stream)
        self.threads = [threading.Thread(target=one, args=(r, s), daemon=True) for r, s in ((plain, False), (streamed, True))]
        for thread in self.threads:
            thread.start()
        self.used, self.plain, self.streamed = used, plain, streamed

    def heal(self, ctx):
        for thread in self.threads:
            thread.join(30)
        ctx.llm_config({"hang_after_chunks": -1})
        status, body, ms = self.plain.get("answer", (None, None, None))
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        ctx.note(f"{self.name}: a new question during the hang: {status} {code} after {ms} ms")
        status, text, ms = self.streamed.get("answer", (None, "", None))
        events = [line for line in (text or "").splitlines() if line.startswith("event:")]
        ctx.note(f"{self.name}: the same, streamed: {status} after {ms} ms, events {events}, "
                 f"ends {(text or '')[-160:]!r}")

    def problems(self, ctx):
        # The streamed caller read two chunks: its unit stays spent (QuestionAnswerer); the plain
        # caller got a 503 and no text: its unit is refunded.
        used = quota_used(ctx)
        ctx.note(f"{self.name}: the probe account's quota used {self.used} before, {used} after the two failed questions")
        problems = []
        if self.plain.get("answer", (None,))[0] != 503:
            problems.append(f"the plain question during the hang was answered {self.plain.get('answer')}, not 503")
        if "event: error" not in (self.streamed.get("answer") or (0, ""))[1]:
            problems.append("the streamed question during the hang did not end with `event: error`")
        if used is not None and self.used is not None and used - self.used > 1:
            problems.append(f"quota not refunded: {used - self.used} units spent by a 503 with no text and a stream cut short")
        return problems


class LLMGarbage(Scenario):
    name = "llm-garbage"
    about = ("the LLM upstream answering 200 with bytes that are neither JSON nor Server-Sent Events (the stub's "
             "garbage) for 15 s; then the question asked during the fault must reach the upstream and be answered")
    hold = 15

    def inject(self, ctx):
        ctx.prober.round()
        ctx.llm_config({"garbage": True})
        self.question = f"Garbage probe {uuid.uuid4().hex[:10]}"
        status, body, ms = ask(ctx, self.question)
        code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
        ctx.note(f"{self.name}: a new question during the fault: {status} {code or body} after {ms} ms")
        self.during = (status, code or body)

    def problems(self, ctx):
        if self.during[0] != 503:
            return [f"a question answered from garbage: {self.during[0]} {self.during[1]} (expected 503 upstream_unavailable)"]
        return []

    def heal(self, ctx):
        ctx.llm_config({"garbage": False})

    def recovered(self, ctx):
        """The question asked during the fault answered from the upstream now (no garbage cached)."""
        status, body, _ = ask(ctx, self.question)
        if status == 200 and not hasattr(self, "answer_noted"):
            self.answer_noted = True
            ctx.note(f"{self.name}: the same question after the heal: {body.get('source')} {body.get('answer')!r}")
        return status == 200 and body.get("answer") == f"Stub answer to: {self.question}"


def redis_cli(ctx, *args):
    return sh("redis-cli", "-h", ctx.stack.addr("redis"), *args).stdout.strip()


class RedisMemory(Scenario):
    name = "redis-memory"
    about = ("Redis at its memory limit: maxmemory set just above the memory it uses (64 KiB more), policy "
             "noeviction, so writes fail with OOM, for 10 s; then 256 MB and volatile-lfu again")
    hold = 10

    def inject(self, ctx):
        info = dict(line.split(":", 1) for line in redis_cli(ctx, "INFO", "memory").splitlines() if ":" in line)
        used = int(info["used_memory"])
        redis_cli(ctx, "CONFIG", "SET", "maxmemory-policy", "noeviction")
        redis_cli(ctx, "CONFIG", "SET", "maxmemory", str(used + 65536))
        ctx.note(f"{self.name}: maxmemory {used + 65536} (used {used})")

    def heal(self, ctx):
        redis_cli(ctx, "CONFIG", "SET", "maxmemory", "256mb")
        redis_cli(ctx, "CONFIG", "SET", "maxmemory-policy", "volatile-lfu")


def fill(path, leave=0):
    """Writes zeros to `path` until its volume has at most `leave` bytes free (or none)."""
    with open(path, "ab") as f:
        for size in (1 << 20, 4096):
            try:
                while True:
                    volume = os.statvfs(os.path.dirname(path))
                    if volume.f_bavail * volume.f_frsize - size < leave:
                        break
                    f.write(b"\0" * size)
                    f.flush()
            except OSError:
                pass


def upload(ctx, clip):
    """One upload by the probe account, logged as the workload's are (so the checker wants it ready)."""
    marker = uuid.uuid4().hex
    return ctx.prober.client.call("upload", "POST", "/api/videos", token=ctx.prober.token, raw=upload_form(marker, clip),
                                  content_type=f"multipart/form-data; boundary={BOUNDARY}", ids={"marker": marker})[0]


class MediaFull(Scenario):
    name = "media-full"
    about = ("the media volume (a 200 MB tmpfs) full for 15 s: filled but for room for three uploads, which are "
             "made, so their thumbnails and renditions meet the full volume; then the rest filled; then the filler deleted")
    hold = 15

    def inject(self, ctx):
        ctx.prober.round()
        video = clip()
        self.filler = os.path.join(ctx.stack.media, "filler")
        fill(self.filler, leave=3 * (len(video) + 8192))
        statuses = [upload(ctx, video) for _ in range(3)]
        fill(self.filler)
        volume = os.statvfs(ctx.stack.media)
        ctx.note(f"{self.name}: three uploads into the last room: {statuses}; then "
                 f"{volume.f_bavail * volume.f_frsize} bytes left on the media volume")

    def heal(self, ctx):
        failed = ctx.stack.psql("SELECT count(*) FROM queue.jobs WHERE queue <> 'email' AND attempts > 0")
        ctx.note(f"{self.name}: media jobs waiting to retry at the heal: {failed}")
        os.remove(self.filler)

    def recovered(self, ctx):
        return ctx.stack.psql("SELECT count(*) FROM content.videos WHERE status = 'processing'") == "0"


class FFmpegHang(Scenario):
    name = "ffmpeg-hang"
    about = ("every transcode's ffmpeg hanging (the Workers' ffmpeg a wrapper that sleeps while a flag file exists) "
             "for 20 s; WORKERS_TRANSCODE_TIMEOUT_SECONDS 10 here")
    hold = 20

    def inject(self, ctx):
        open(ctx.stack.ffmpeg_hang, "w").close()

    def heal(self, ctx):
        os.remove(ctx.stack.ffmpeg_hang)
        hung = sh("pgrep", "-f", "sleep 3600", check=False).stdout.split()
        ctx.note(f"{self.name}: transcodes still hanging at the heal: {len(hung)}")

    def recovered(self, ctx):
        return ctx.stack.psql("SELECT count(*) FROM content.videos WHERE status = 'processing'") == "0"


class ClockAhead(Scenario):
    """One instance restarted with its wall clock a minute ahead (libfaketime; the monotonic clock
    left alone), restarted normally at the heal."""
    hold = 20
    FAKE = {"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "FAKETIME": "+60s",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}

    def __init__(self, instance, what):
        self.instance = instance
        self.name = f"clock-ahead-{instance.rstrip('2')}"
        self.about = f"the {what}'s clock a minute ahead (libfaketime +60s) for 20 s, then restarted normally"

    def inject(self, ctx):
        if not os.path.exists(self.FAKE["LD_PRELOAD"]):
            raise NotAvailable("libfaketime is not installed")
        ctx.stack.restart(self.instance, env=self.FAKE)

    def heal(self, ctx):
        ctx.stack.restart(self.instance, drop=self.FAKE)


class SMTPDown(Scenario):
    name = "smtp-down"
    about = "the SMTP server gone (its process stopped: connections refused) for 15 s during sign-ups, then back"
    hold = 15

    def inject(self, ctx):
        ctx.stack.procs["smtp"].stop(signal.SIGTERM, timeout=5)
        ctx.burst = mail_burst(Client(ctx.stack.url, ctx.log, "burst"), 4, prefix="chaos")

    def heal(self, ctx):
        ctx.stack.start("smtp")

    def recovered(self, ctx):
        return ctx.stack.psql("SELECT count(*) FROM queue.jobs WHERE queue = 'email'") == "0"


class JobsStorm(Scenario):
    """Thousands of jobs of every kind the Workers run, made through the public API by storm actors
    of their own (sign-ups: two mails each; likes and posts: one audit event each, in the write's
    transaction; questions and plays: the ledger's and the plays' batched audit events; a few dozen
    uploads: a thumbnail and a transcode job each), while the Workers process is killed with
    SIGKILL every few seconds, each time once a job of the next kind is running. Each kill takes its
    process group, ffmpeg children included, as systemd (`KillMode=control-group`) and a
    container's end do; a bare `kill -9 PID` would leave a running ffmpeg to finish by itself
    (docs/reliability.md)."""
    name = "jobs-storm"
    about = ("thousands of jobs of every kind (mail, audit events, the ledger's batches, thumbnails, transcodes) from six "
             "storm actors, the Workers killed with SIGKILL every few seconds once a job of the next kind is running, "
             "started again 1 s later, 3 to 6 s of work between kills")
    hold = 0
    duplicate_mail = "the documented window: a Workers process killed between the server's acceptance and the 'sent' mark"
    interrupted_videos = ("the Workers killed during each of the job's attempts: the job is dead and the video fails, so that "
                          "a job that kills its worker cannot run for ever (docs/videos.md)")
    seconds = 150
    actors = 6
    uploads = 36
    # No user.erase: an erasure deletes what the checker looks for (the account, its posts).
    pauses = random.Random(7)
    KINDS = ("email.send", "video.transcode", "audit.event", "video.thumbnail", "audit.events")
    WEIGHTS = {"signup": 5, "verify": 0.5, "post": 2, "like": 4, "question": 3, "play": 2, "upload": 0.5, "refresh": 0.5}

    def inject(self, ctx):
        stop, shared, budget = threading.Event(), Shared(), [0]
        self.started, self.figures = time.time(), None
        self.first_job = int(ctx.stack.psql("SELECT last_value FROM queue.jobs_id_seq"))
        clip_bytes = clip()
        storm = [Actor(f"storm-{n}", ctx.stack.url, ctx.log, shared, stop, clip_bytes, ctx.stack.maildir, pace=0.02,
                       weights=self.WEIGHTS, uploads=budget) for n in range(self.actors)]
        for actor in storm:
            actor.start()
        def allow_uploads():  # spread over the storm, so that every kill finds some video being made
            for _ in range(self.uploads):
                with shared.lock:
                    budget[0] += 1
                if stop.wait(self.seconds / self.uploads):
                    return
        threading.Thread(target=allow_uploads, daemon=True).start()
        kills, caught = collections.Counter(), collections.Counter()
        workers = ctx.stack.procs["workers"]
        deadline = time.monotonic() + self.seconds
        for kind in itertools.cycle(self.KINDS):
            if time.monotonic() >= deadline or ctx.stop.is_set():
                break
            try:
                poll(f"a running {kind} job", lambda: ctx.stack.psql(
                    f"SELECT count(*) FROM queue.jobs WHERE state = 'running' AND kind = '{kind}'") != "0", 5, 0.05)
                caught[kind] += 1
            except TimeoutError:
                pass  # killed anyway: whatever else is running
            workers.kill9()
            kills[kind] += 1
            ctx.stop.wait(1)
            ctx.stack.start("workers")
            # A few seconds of work before the next kill: what was killed is claimed again once its
            # lease (6 s) runs out, and has a chance to finish.
            ctx.stop.wait(self.pauses.uniform(3, 6))
        stop.set()
        for actor in storm:
            actor.join(40)
        self.kills = sum(kills.values())
        ctx.note(f"{self.name}: {self.kills} kills of the Workers ({', '.join(f'{k}: {kills[k]}, {caught[k]} with one running' for k in self.KINDS)})")

    def heal(self, ctx):
        if not ctx.stack.procs["workers"].alive():
            ctx.stack.start("workers")

    def recovered(self, ctx):
        # The backlog done (a video still processing with no job left is the checker's to report).
        if ctx.stack.psql("SELECT count(*) FROM queue.jobs WHERE run_at < now() + interval '20 seconds'") != "0":
            return False
        if self.figures is None:
            # What the storm made, per kind: jobs by id since it began (done ones are deleted, so
            # counted by their effects), mails at the sink, audit events stored by action.
            since = f"to_timestamp({self.started})"
            jobs = ctx.stack.psql("SELECT last_value FROM queue.jobs_id_seq")
            audit = ctx.stack.psql(f"SELECT string_agg(action || ': ' || n, ', ' ORDER BY n DESC) FROM (SELECT action, count(*) AS n "
                                   f"FROM audit.events WHERE ingested_at >= {since} GROUP BY 1) t")
            batches = ctx.stack.psql(f"SELECT count(DISTINCT ingested_at) FROM audit.events WHERE ingested_at >= {since} "
                                     "AND action IN ('gpt.asked', 'video.played')")
            mails = sum(1 for folder in ("new", "cur") for name in os.listdir(os.path.join(ctx.stack.maildir, folder))
                        if os.stat(os.path.join(ctx.stack.maildir, folder, name)).st_mtime >= self.started)
            videos = ctx.stack.psql(f"SELECT count(*) FILTER (WHERE status = 'ready') || ' ready, ' || count(*) FILTER "
                                    f"(WHERE status = 'failed') || ' failed' FROM content.videos WHERE created_at >= {since}")
            dead = ctx.stack.psql(f"SELECT count(*) FROM queue.dead_jobs WHERE id > {self.first_job}")
            self.figures = (f"{self.name}: jobs {self.first_job + 1}–{jobs} ({int(jobs) - self.first_job}); mails delivered "
                            f"{mails}; videos {videos} (a thumbnail and a transcode job each); audit events stored {audit} "
                            f"(the batched ones in {batches} statements); dead jobs {dead}")
            ctx.note(self.figures)
        return True



from .spike import Spike  # noqa: E402 (it builds on Scenario, above)

ALL = {s.name: s for s in (WorkersKill(), PostgresRestart(), RedisPartition(), InstanceKill(), RollingRestart(),
                           PostgresKill(), PostgresRestartMidSend(), RedisKill(), RedisFreeze(), PostgresLatency(), LLMSlow(), LLMFailing(), SMTPDown(),
                           PostgresLoss(), PostgresPartitionOne(), LLMHangMidStream(), LLMGarbage(), RedisMemory(), MediaFull(),
                           FFmpegHang(), ClockAhead("auth2", "second AuthService instance"),
                           ClockAhead("gpt2", "second GPTService instance"), ClockAhead("workers", "Workers process"), JobsStorm(), Spike(),
                           PostgresFailover())}
SHORT = ["workers-kill", "postgres-restart", "redis-partition"]


class Prober:
    """The recovery probes, as an account of their own."""

    def __init__(self, stack, log):
        self.client = Client(stack.url, log, "probe")
        self.email = f"probe-{uuid.uuid4().hex[:12]}@example.com"
        self.token = None

    def setup(self):
        status, _, _ = self.client.call("signup", "POST", "/api/auth/signup",
                                        {"email": self.email, "password": "probe password", "nickname": "Probe"},
                                        ids={"email": self.email})
        assert status == 201, f"the probe account could not sign up ({status})"

    def round(self):
        if not self.token:
            status, body, _ = self.client.call("login", "POST", "/api/auth/login", {"email": self.email, "password": "probe password"})
            if status != 200:
                return False
            self.token = body["accessToken"]
        marker = uuid.uuid4().hex
        me = self.client.call("read", "GET", "/api/users/me", token=self.token)[0]
        if me == 401:
            self.token = None  # expired on a long run: log in again next round
            return False
        checks = [self.client.call("read", "GET", "/api/posts?size=1")[0] == 200,
                  self.client.call("read", "GET", "/api/gpt/quota")[0] == 200,
                  me == 200,
                  self.client.call("post", "POST", "/api/posts", {"title": f"chaos {marker}", "body": "probe", "tags": []},
                                   token=self.token, ids={"marker": marker})[0] == 201]
        return all(checks)

    def recover(self, scenario, ctx, timeout=90):
        """Seconds until a round of probes all succeed and the scenario's own check passes (None: not
        within `timeout`)."""
        started = time.monotonic()
        try:
            poll("recovery", self.round, timeout, 0.5)
            poll("recovery", lambda: scenario.recovered(ctx), timeout - (time.monotonic() - started), 0.5)
        except TimeoutError:
            return None
        return round(time.monotonic() - started, 1)


def run(ctx, scenario, before, after):
    log = ctx.log
    log.scenario, log.phase = scenario.name, "before"
    ctx.stop.wait(before)
    log.phase = "fault"
    ctx.note(f"{scenario.name}: {scenario.about}")
    injected = time.time()
    try:
        scenario.inject(ctx)
    except NotAvailable as error:
        ctx.note(f"{scenario.name}: skipped: {error}")
        log.phase = "after"
        return {"name": scenario.name, "about": scenario.about, "injected": injected, "healed": injected,
                "recovery": "skipped", "hold": 0}
    ctx.stop.wait(scenario.hold)
    scenario.heal(ctx)
    healed = time.time()
    recovery = ctx.prober.recover(scenario, ctx)
    ctx.note(f"{scenario.name}: healed; recovered in {recovery} s" if recovery is not None
             else f"{scenario.name}: NOT recovered within 90 s of the heal")
    problems = scenario.problems(ctx)
    for problem in problems:
        ctx.note(f"{scenario.name}: FAILED: {problem}")
    log.phase = "after"
    ctx.stop.wait(after)
    return {"name": scenario.name, "about": scenario.about, "injected": injected, "healed": healed,
            "recovery": recovery, "hold": scenario.hold, "problems": problems, "details": scenario.details(ctx)}
