"""The seed's spike from a host of its own: `loadtest/k6/spike.js` (10,000 requests offered within
one second, half questions, half of those popular ones answered before, half searches, half signed
in) run by k6 on the load generator's host against nginx, first on `/healthz` (the yardstick: what
the generator and the machine manage without any work), then on the API while the workload goes on.

It checks the contract on every request of the spike (no 500, 502 or 504, an answer within k6's
10 s, every 429 and 503 with `Retry-After`) and reports the shares shedding by cost decides: of
the questions a cache can answer, how many got a 200 within 2 s; of the rest, how many were
answered and how many refused."""
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

from .scenarios import Scenario
from .stack import REPO
from .workload import Client

sys.path.insert(0, os.path.join(REPO, "loadtest"))
from report import cost_shares, read_requests  # noqa: E402

ACCOUNTS = 50


class Spike(Scenario):
    name = "spike"
    about = ("the seed's spike from the load generator's host: 10,000 requests offered within one second (k6), "
             "half questions (half of them popular ones a cache can answer), half searches, half signed in; "
             "first on /healthz as the yardstick")
    hold = 0

    def inject(self, ctx):
        client = Client(ctx.stack.url, ctx.log, "spike")
        for i in range(ACCOUNTS):  # the accounts spike.js logs in with (loadtest/k6/lib.js)
            email = f"lt{i}@loadtest.example"
            client.call("spike-account", "POST", "/api/auth/signup", {"email": email, "password": "loadtest password",
                                                                "nickname": f"spike {i}"}, ids={"email": email})
        folder = os.path.join(ctx.results_dir, "spike")
        os.makedirs(folder, exist_ok=True)
        ctx.spike = {}
        for phase, env in (("healthz", {"TARGET": "healthz"}),
                           ("spike", {"PROBE_RATE": "5", "BASELINE": "2", "RECOVERY": "5", "TOKENS": str(ACCOUNTS),
                                      "RUN_ID": uuid.uuid4().hex[:8]})):
            started = time.time()
            self.k6(ctx, folder, phase, env)
            rows = read_requests(os.path.join(folder, f"{phase}.csv.gz"))
            ctx.note(f"{self.name}: {phase}: {len(rows):,} requests in {time.time() - started:.0f} s")
            ctx.spike[phase] = rows

    def k6(self, ctx, folder, phase, env):
        namespace = ctx.stack.net.hosts["loadgen"][0]
        command = ["ip", "netns", "exec", namespace, "k6", "run", "--quiet", "--no-usage-report",
                   "--out", f"csv={os.path.join(folder, phase + '.csv.gz')}", os.path.join(REPO, "loadtest", "k6", "spike.js")]
        env = {**os.environ, **env, "BASE_URL": ctx.stack.url, "REQUESTS": "10000", "K6_CSV_TIME_FORMAT": "unix_milli",
               "SUMMARY_OUT": os.path.join(folder, phase + ".summary.json")}
        with open(os.path.join(folder, phase + ".log"), "w") as log:
            done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=300)
        # 99: a threshold failed; the thresholds only make k6 list tags.
        if done.returncode not in (0, 99):
            raise RuntimeError(f"k6 ({phase}) exited with {done.returncode}: see {folder}/{phase}.log")

    def heal(self, ctx):
        pass

    def details(self, ctx):
        return self.figures(ctx)[0]

    def problems(self, ctx):
        return self.figures(ctx)[1]

    @staticmethod
    def figures(ctx):
        """The report's lines and the contract's violations, from the k6 rows."""
        if not hasattr(ctx, "spike"):
            return [], []
        yard, rows = ctx.spike.get("healthz", []), [r for r in ctx.spike.get("spike", []) if r["scenario"] == "spike"]
        lines, violations = [], []
        if not rows:
            return lines, violations
        counts = lambda rs: ", ".join(f"{k}: {v:,}" for k, v in sorted(Counter(r["status"] for r in rs).items()))
        slowest = lambda rs: max((r["ms"] for r in rs), default=0)
        lines.append(f"yardstick `/healthz`: {len(yard):,} sent, {counts(yard)}, slowest {slowest(yard):,.0f} ms")
        lines.append(f"the spike: {len(rows):,} sent, {counts(rows)}, slowest {slowest(rows):,.0f} ms")
        for label, share in cost_shares(rows).items():
            lines.append(f"{label}: {share['sent']:,} sent, {100 * share['fast']:.1f}% 200 within 2 s, "
                         f"{100 * share['late']:.1f}% 200 later, {100 * share['refused']:.1f}% 429 or 503, "
                         f"{100 * share['other']:.1f}% other")
        bad = Counter(r["status"] for r in rows if r["status"] in ("0", "500", "502", "504"))
        violations += [f"spike: {n:,} × {'no answer within 10 s' if s == '0' else s}" for s, n in sorted(bad.items())]
        summary = json.load(open(os.path.join(ctx.results_dir, "spike", "spike.summary.json")))["metrics"]
        bare = sum(int(v.get("values", {}).get("count", 0)) for k, v in summary.items()
                   if k.startswith("refused_without_retry_after{"))
        if bare:
            violations.append(f"spike: {bare:,} × 429 or 503 without Retry-After")
        return lines, violations

