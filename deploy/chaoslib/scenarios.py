"""The faults. Each scenario runs while the workload goes on: `before` (steady), `fault` (from the
injection until the stack answers again), `after` (recovered). Time to recover is from the heal
to the first round of probes that all succeed: a read from each service through nginx, the
probe account's /me (Auth and Redis) and a post (Content's writes)."""
import os
import signal
import time
import uuid

from .hosts import poll
from .stack import STANDBY
from .workload import Client, mail_burst


class NotAvailable(Exception):
    """This machine cannot inject the fault (e.g. a kernel without sch_netem)."""


class Scenario:
    name = ""
    about = ""
    hold = 10  # seconds the fault lasts
    # Why this fault may deliver a mail twice (with one Message-ID); empty: it must not.
    duplicate_mail = ""

    def inject(self, ctx):
        raise NotImplementedError

    def heal(self, ctx):
        raise NotImplementedError

    def recovered(self, ctx):
        """What this fault stopped works again (beyond the probes)."""
        return True


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
    about = "200 ms ± 50 ms added to every packet Postgres's host sends (tc netem) for 15 s"
    hold = 15

    def inject(self, ctx):
        try:
            ctx.stack.net.netem(ctx.stack.primary, "delay", "200ms", "50ms")
        except RuntimeError as error:
            raise NotAvailable(f"tc netem is not available here (the kernel's sch_netem): {error}")

    def heal(self, ctx):
        ctx.stack.net.netem(ctx.stack.primary)


class LLMSlow(Scenario):
    name = "llm-slow"
    about = "the LLM upstream answering after 40 s (past GPTService's 30 s deadline) for 15 s"
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
        from .stack import SERVICES
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


ALL = {s.name: s for s in (WorkersKill(), PostgresRestart(), RedisPartition(), InstanceKill(), RollingRestart(),
                           PostgresKill(), PostgresRestartMidSend(), RedisKill(), RedisFreeze(), PostgresLatency(), LLMSlow(), LLMFailing(), SMTPDown(),
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
    log.phase = "after"
    ctx.stop.wait(after)
    return {"name": scenario.name, "about": scenario.about, "injected": injected, "healed": healed,
            "recovery": recovery, "hold": scenario.hold}
