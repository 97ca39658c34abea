#!/usr/bin/env python3
"""The report of one load-scenario run: reads what loadtest/run left in DIR (meta.jsonl,
phases.jsonl, k6/<phase>.summary.json and .csv.gz, samples.jsonl, statements-*.json) and writes

  report.md      the figures, each pass criterion with a PASS/FAIL line, the bottleneck checks
  result.json    the same figures for scripts
  latency.png    p50/p95/p99 over time      status.png  answers per status over time
  memory.png     RSS per process over time  cpu.png     CPU per process over time
  overview.png   latency, status and memory in one picture (the one docs/ keeps)

  report.py DIR [DIR...]
"""
import csv
import gzip
import json
import os
import sys
from collections import Counter, defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SERVICES = ["auth", "content", "gpt", "workers", "nginx", "postgres", "redis"]


# ---------------------------------------------------------------------------------------------
# Reading

def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_requests(path):
    """One row per request: start (s), duration, connecting, waiting (ms), status, kind, scenario."""
    rows, last = [], None
    with gzip.open(path, "rt", newline="") as f:
        for r in csv.DictReader(f):
            name = r["metric_name"]
            if name == "http_req_duration":
                tags = dict(kv.split("=", 1) for kv in r["extra_tags"].split("&") if "=" in kv)
                last = {"end": int(r["timestamp"]) / 1000, "ms": float(r["metric_value"]), "status": r["status"],
                        "kind": tags.get("kind", ""), "scenario": r["scenario"], "connecting": 0.0, "waiting": 0.0}
                last["start"] = last["end"] - last["ms"] / 1000
                rows.append(last)
            # A request's samples are written together, its duration first.
            elif name in ("http_req_connecting", "http_req_waiting") and last is not None:
                last["connecting" if name == "http_req_connecting" else "waiting"] = float(r["metric_value"])
    return rows


def pct(values, p):
    return float(np.percentile(values, p)) if len(values) else None


def stats(rows):
    ms = [r["ms"] for r in rows]
    if not ms:
        return {"count": 0}
    return {"count": len(ms), "avg": float(np.mean(ms)), "p50": pct(ms, 50), "p95": pct(ms, 95),
            "p99": pct(ms, 99), "max": max(ms)}


def statuses(rows):
    return dict(sorted(Counter(r["status"] for r in rows).items()))


def window(samples, start, end):
    return [s for s in samples if start <= s["t"] <= end]


def series(samples, name, metric_prefix=None):
    """Sum of a /metrics series of one service, per sample: [(t, value)]."""
    out = []
    for s in samples:
        values = (s.get("metrics") or {}).get(name) or {}
        picked = [v for k, v in values.items() if k.startswith(metric_prefix)]
        if picked:
            out.append((s["t"], sum(picked)))
    return out


def proc_cpu_share(samples, name):
    """Average CPU of a process over the samples, in cores (a restarted process, like k6 from one
    phase to the next, starts again from 0: only rises count)."""
    got = [(s["t"], s["proc"][name]["cpu_s"]) for s in samples if name in s.get("proc", {})]
    if len(got) < 2 or got[-1][0] <= got[0][0]:
        return None
    return sum(max(0.0, b[1] - a[1]) for a, b in zip(got, got[1:])) / (got[-1][0] - got[0][0])


def machine_busy(samples):
    if len(samples) < 2:
        return None
    a, b = samples[0]["cpu"], samples[-1]["cpu"]
    return (b["busy"] - a["busy"]) / max(1, b["total"] - a["total"])


def fmt(v, digits=0, unit=""):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


# ---------------------------------------------------------------------------------------------
# Charts

def bucket_size(t0, t1):
    span = max(1.0, t1 - t0)
    for size in (1, 2, 5, 10, 30, 60):
        if span / size <= 400:
            return size
    return 120


def buckets(rows, t0, size):
    out = defaultdict(list)
    for r in rows:
        out[int((r["start"] - t0) // size)].append(r)
    return out


def shade_phases(ax, phases, t0):
    for i, p in enumerate(phases):
        ax.axvspan(p["start"] - t0, p["end"] - t0, color=f"C{i % 10}", alpha=0.06)
        ax.text(p["start"] - t0, 1.0, " " + p["name"], transform=ax.get_xaxis_transform(), va="top", fontsize=8)


def draw_latency(ax, rows, phases, t0, size):
    b = buckets(rows, t0, size)
    xs = sorted(b)
    for p, style in ((50, "-"), (95, "-"), (99, ":")):
        ax.plot([x * size for x in xs], [pct([r["ms"] for r in b[x]], p) for x in xs], style, label=f"p{p}")
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms, by start)")
    ax.legend(loc="upper right", fontsize=8)
    shade_phases(ax, phases, t0)


def draw_status(ax, rows, phases, t0, size):
    b = buckets(rows, t0, size)
    xs = sorted(b)
    codes = sorted({r["status"] for r in rows})
    bottom = np.zeros(len(xs))
    colors = {"200": "tab:green", "201": "tab:olive", "401": "tab:purple", "429": "tab:orange", "503": "tab:red",
              "500": "black", "504": "tab:brown", "0": "tab:gray"}
    for code in codes:
        counts = np.array([sum(1 for r in b[x] if r["status"] == code) / size for x in xs])
        ax.bar([x * size for x in xs], counts, width=size, bottom=bottom, align="edge",
               label=code if code != "0" else "no answer", color=colors.get(code))
        bottom += counts
    ax.set_ylabel("answers/s")
    ax.legend(loc="upper right", fontsize=8, ncol=4)
    shade_phases(ax, phases, t0)


def draw_memory(ax, samples, phases, t0):
    for name in SERVICES:
        got = [(s["t"] - t0, s["proc"][name]["rss_kb"] / 1024) for s in samples if name in s.get("proc", {})]
        if got:
            ax.plot(*zip(*got), label=name)
    ax.set_yscale("log")
    ax.set_ylabel("RSS (MB, log)")
    ax.legend(loc="upper right", fontsize=8, ncol=4)
    shade_phases(ax, phases, t0)


def draw_cpu(ax, samples, phases, t0):
    for name in SERVICES:
        got = [(s["t"], s["proc"][name]["cpu_s"]) for s in samples if name in s.get("proc", {})]
        if len(got) > 1:
            xs = [(a[0] + b[0]) / 2 - t0 for a, b in zip(got, got[1:])]
            ys = [100 * (b[1] - a[1]) / max(1e-3, b[0] - a[0]) for a, b in zip(got, got[1:])]
            ax.plot(xs, ys, label=name)
    ax.set_ylabel("CPU (% of one core)")
    ax.legend(loc="upper right", fontsize=8, ncol=4)
    shade_phases(ax, phases, t0)


def charts(out, title, rows, samples, phases, t0, t1):
    size = bucket_size(t0, t1)
    single = [("latency.png", lambda ax: draw_latency(ax, rows, phases, t0, size)),
              ("status.png", lambda ax: draw_status(ax, rows, phases, t0, size)),
              ("memory.png", lambda ax: draw_memory(ax, samples, phases, t0)),
              ("cpu.png", lambda ax: draw_cpu(ax, samples, phases, t0))]
    for name, draw in single:
        fig, ax = plt.subplots(figsize=(10, 4))
        draw(ax)
        ax.set_xlabel("seconds since the start")
        ax.set_title(f"{title}: {name[:-4]}")
        fig.tight_layout()
        fig.savefig(os.path.join(out, name), dpi=100)
        plt.close(fig)
    fig, axes = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
    for ax, (_, draw) in zip(axes, single[:3]):
        draw(ax)
    axes[0].set_title(title)
    axes[-1].set_xlabel("seconds since the start")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "overview.png"), dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# The scenarios' figures and criteria

class Report:
    def __init__(self):
        self.lines, self.criteria, self.checks, self.figures = [], [], [], {}

    def add(self, text=""):
        self.lines.append(text)

    def table(self, head, rows):
        self.add("| " + " | ".join(head) + " |")
        self.add("|" + "---|" * len(head))
        for r in rows:
            self.add("| " + " | ".join(str(c) for c in r) + " |")
        self.add()

    def criterion(self, ok, text):
        self.criteria.append({"pass": bool(ok), "text": text})

    def check(self, found, text):
        self.checks.append({"found": bool(found), "text": text})


def kind_table(rep, rows, kinds=None):
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    out = []
    for kind in kinds or sorted(by_kind):
        s = stats(by_kind[kind])
        if s["count"]:
            out.append([kind, f"{s['count']:,}", fmt(s["avg"], 1), fmt(s["p50"], 1), fmt(s["p95"], 1), fmt(s["p99"], 1),
                        fmt(s["max"], 1), ", ".join(f"{k} × {v:,}" for k, v in statuses(by_kind[kind]).items())])
    rep.table(["requests", "count", "avg ms", "p50", "p95", "p99", "max", "statuses"], out)


def process_table(rep, samples, cores):
    out, used = [], 0.0
    for name in SERVICES + ["k6"]:
        got = [s["proc"][name] for s in samples if name in s.get("proc", {})]
        if not got:
            continue
        out.append([name, fmt(got[0]["rss_kb"] / 1024, 1), fmt(max(g["rss_kb"] for g in got) / 1024, 1),
                    fmt(got[-1]["rss_kb"] / 1024, 1), f"{got[0]['fds']} → {got[-1]['fds']} (max {max(g['fds'] for g in got)})",
                    f"{got[0]['threads']} → {got[-1]['threads']}", fmt(100 * (proc_cpu_share(samples, name) or 0), 0, "%")])
        used += proc_cpu_share(samples, name) or 0
    busy = machine_busy(samples)
    if busy is not None and cores:
        # What the machine did beyond the stack and the generator: anything else running.
        out.append(["everything else", "", "", "", "", "", fmt(100 * max(0.0, busy * cores - used), 0, "%")])
    rep.table(["process", "RSS start MB", "max", "end", "fds", "threads", "CPU (of one core)"], out)


def phase_cpu_table(rep, samples, phases, cores):
    """CPU per process in each phase, in cores: where the machine's time went."""
    names = [n for n in SERVICES + ["k6"] if any(n in x.get("proc", {}) for x in samples)]
    out = []
    for p in phases:
        inside = window(samples, p["start"], p["end"])
        shares = [proc_cpu_share(inside, n) or 0.0 for n in names]
        busy = machine_busy(inside)
        rest = max(0.0, busy * cores - sum(shares)) if busy is not None and cores else None
        out.append([p["name"]] + [fmt(v, 2) for v in shares] + [fmt(rest, 2), fmt(100 * busy if busy is not None else None, 0, "%")])
    if out:
        rep.add(f"CPU by phase, in cores (of {cores}):")
        rep.add()
        rep.table(["phase"] + names + ["everything else", "machine busy"], out)


def pool_figures(samples, service):
    in_use = [v for _, v in series(samples, service, "db_pool_connections_in_use")]
    waiting = [v for _, v in series(samples, service, "db_pool_requests_waiting")]
    return {"in_use_max": max(in_use, default=None), "in_use_avg": float(np.mean(in_use)) if in_use else None,
            "waiting_max": max(waiting, default=None)}


def statements(out, rep, top=8):
    start = {s["queryid"]: s for s in json.load(open(os.path.join(out, "statements-start.json")))} \
        if os.path.exists(os.path.join(out, "statements-start.json")) else {}
    end_path = os.path.join(out, "statements-end.json")
    if not os.path.exists(end_path):
        return
    diffs = []
    for s in json.load(open(end_path)):
        before = start.get(s["queryid"], {"calls": 0, "total_exec_time": 0})
        calls, total = s["calls"] - before["calls"], s["total_exec_time"] - before["total_exec_time"]
        # The sampler's own queries are not the run's.
        if calls > 0 and "pg_stat_" not in s["query"]:
            diffs.append((total, calls, s["query"]))
    diffs.sort(reverse=True)
    if diffs:
        rep.add("The statements that cost the most database time during the run (`pg_stat_statements`):")
        rep.add()
        rep.table(["total ms", "calls", "mean ms", "statement"],
                  [[fmt(t, 0), f"{c:,}", fmt(t / c, 2), "`" + q.replace("|", "\\|")[:110] + "`"] for t, c, q in diffs[:top]])


def login(rep, meta, phases, rows, samples):
    p = phases["storm"]
    attempts = [r for r in rows if r["kind"] == "login"]
    ok = [r for r in attempts if r["status"] == "200"]
    params, raw = meta["params"], meta.get("raw_bcrypt_per_s")
    users = params["users"]
    first = min((r["start"] for r in attempts), default=p["start"])
    window_s = (max(r["end"] for r in ok) - first) if ok else None
    rate = len(ok) / window_s if ok and window_s > 0 else 0.0
    hash_ms = 1000 * params["bcrypt_threads"] / raw if raw else None
    deadline = params["bcrypt_max_wait_ms"] + (hash_ms or 0)
    s, s_ok = stats(attempts), stats(ok)
    st = statuses(attempts)
    inside = window(samples, p["start"], p["end"])
    busy = machine_busy(inside)
    auth_cpu = proc_cpu_share(inside, "auth")
    queue = [v for _, v in series(inside, "auth", "auth_password_hash_outstanding")]
    pool = pool_figures(inside, "auth")
    summary = meta["summaries"]["storm"]["metrics"]
    per_user = summary.get("login_user_ms", {}).get("values", {})
    rep.figures.update(logins_per_s=rate, raw_bcrypt_per_s=raw, share=rate / raw if raw else None, attempts=s, ok=s_ok,
                       statuses=st, users=users, users_logged_in=len(ok), storm_s=window_s, machine_cpu=busy,
                       auth_cpu_cores=auth_cpu, hash_queue_max=max(queue, default=None), db_pool=pool)

    rep.add(f"{users:,} accounts log in at once through {params['vus']:,} clients; a refused attempt is retried "
            f"after its `Retry-After`. bcrypt cost {params['bcrypt_cost']}, {params['bcrypt_threads']} hash threads, "
            f"admission deadline {params['bcrypt_max_wait_ms']} ms.")
    rep.add()
    rep.table(["figure", "value"], [
        ["raw bcrypt (the machine's limit, same run)", fmt(raw, 1, "/s")],
        ["logins/s (200s from the first attempt to the last 200)", f"{fmt(rate, 1)}/s = {fmt(100 * rate / raw if raw else None, 0)}% of raw"],
        ["accounts logged in", f"{len(ok):,} of {users:,} in {fmt(window_s, 1)} s"],
        ["attempts", f"{s['count']:,} ({fmt(s['count'] / max(1, users), 1)} per account)"],
        ["success rate per attempt", fmt(100 * len(ok) / max(1, s["count"]), 1, "%")],
        ["statuses", ", ".join(f"{k} × {v:,}" for k, v in st.items())],
        ["attempt latency mean / p95 / p99 / max", f"{fmt(s.get('avg'))} / {fmt(s.get('p95'))} / {fmt(s.get('p99'))} / {fmt(s.get('max'))} ms"],
        ["200 latency mean / p95 / p99 / max", f"{fmt(s_ok.get('avg'))} / {fmt(s_ok.get('p95'))} / {fmt(s_ok.get('p99'))} / {fmt(s_ok.get('max'))} ms"],
        ["time to log in, per account (retries included) mean / p95 / max",
         f"{fmt(per_user.get('avg'))} / {fmt(per_user.get('p(95)'))} / {fmt(per_user.get('max'))} ms"],
        ["hash queue (`auth_password_hash_outstanding`) max", fmt(max(queue, default=None))],
        ["AuthService DB pool in use max / avg, waiting max", f"{fmt(pool['in_use_max'])} / {fmt(pool['in_use_avg'], 1)}, {fmt(pool['waiting_max'])}"],
        ["CPU: machine / AuthService", f"{fmt(100 * busy if busy is not None else None, 0, '%')} / {fmt(auth_cpu, 2)} cores"],
        ["extrapolated: 100,000 accounts at this rate", f"{fmt(100000 / rate / 60 if rate else None, 0)} min"],
    ])
    rep.criterion(raw and rate >= 0.9 * raw, f"logins/s at least 0.9 × raw bcrypt: {fmt(rate, 1)}/s against {fmt(0.9 * raw if raw else None, 1)}/s")
    fives = sum(v for k, v in st.items() if k.startswith("5") and k != "503")
    rep.criterion(fives == 0, f"no 500 (nor other 5xx than the 503 of shedding): {fives}")
    rep.criterion(s.get("max", 0) <= deadline, f"every answer within the admission deadline plus one hash ({fmt(deadline)} ms): slowest {fmt(s.get('max'))} ms")
    rep.check(s_ok.get("avg", 0) > 4200, f"average login above 4,200 ms: {fmt(s_ok.get('avg'))} ms")
    rep.check(len(ok) < 0.6 * users, f"success under 60% (accounts logged in): {fmt(100 * len(ok) / max(1, users), 1)}%")
    rep.check(busy is not None and busy >= 0.95, f"CPU pinned at 95–100%: machine {fmt(100 * busy if busy is not None else None, 0, '%')}, "
              f"AuthService (bcrypt) {fmt(auth_cpu, 2)} cores")


def search(rep, meta, phases, rows, samples):
    params = meta["params"]
    rep.add(f"{params['vus']:,} clients back to back (think time {params['think_ms']} ms), {params['duration']} per phase, "
            f"over {params['posts']:,} visible posts. `healthz` is `/healthz/content` through the same nginx with the "
            "same clients: the machine's limit for any request that crosses nginx to the service.")
    rep.add()
    out, limit = [], None
    for name in ("healthz", "cache-on", "cache-off"):
        if name not in phases:
            continue
        p = phases[name]
        inside = window(samples, p["start"], p["end"])
        mine = [r for r in rows if r["_phase"] == name]
        s = stats(mine)
        rps = s["count"] / max(1e-3, p["end"] - p["start"])
        if name == "healthz":
            limit = rps
        pg_cpu = proc_cpu_share(inside, "postgres")
        pg_mem = max((x["proc"]["postgres"]["rss_kb"] for x in inside if "postgres" in x["proc"]), default=None)
        summary = meta["summaries"][name]["metrics"]
        sizes = {k: summary.get(f"page_bytes{{kind:{k}}}", {}).get("values", {}).get("avg") for k in ("list", "search")}
        errors = sum(1 for r in mine if r["status"] != "200")
        rep.figures[name] = dict(stats=s, rps=rps, errors=errors, statuses=statuses(mine), pg_cpu_cores=pg_cpu,
                                 pg_rss_mb=pg_mem / 1024 if pg_mem else None, slow_statements=p["slow_statements"],
                                 page_bytes=sizes, share_of_healthz=rps / limit if limit else None)
        out.append([name, fmt(rps), fmt(s.get("p50"), 1), fmt(s.get("p95"), 1), fmt(s.get("p99"), 1), fmt(s.get("max"), 0),
                    f"{errors:,}", fmt(pg_cpu, 2), fmt(pg_mem / 1024 if pg_mem else None), p["slow_statements"],
                    " / ".join(fmt(v) for v in sizes.values()) if name != "healthz" else "–"])
    rep.table(["phase", "req/s", "p50 ms", "p95", "p99", "max", "not 200", "Postgres CPU (cores)", "Postgres MB",
               "slow statements", "page bytes list / search"], out)
    for name in ("cache-on", "cache-off"):
        if name in phases:
            rep.add(f"By request, {name}:")
            rep.add()
            kind_table(rep, [r for r in rows if r["_phase"] == name], ["list", "search"])
    if meta.get("pgbench"):
        rep.add("Database time of the same SQL (`ContentService sql`, pgbench, 2 clients):")
        rep.add()
        rep.table(["shape", "tps", "latency avg ms"], [[b["shape"], fmt(b["tps"]), fmt(b["latency_ms"], 2)] for b in meta["pgbench"]])
    for name in ("cache-on", "cache-off"):
        if name in rep.figures:
            f = rep.figures[name]
            rep.criterion(f["stats"].get("p95", 1e9) < 300, f"{name}: p95 under 300 ms: {fmt(f['stats'].get('p95'), 1)} ms "
                          f"(/healthz/content beside it: {fmt(rep.figures['healthz']['stats'].get('p95'), 1) if 'healthz' in rep.figures else '–'} ms)")
            rep.check(f["stats"].get("p95", 0) > 1000, f"{name}: p95 above 1 s at {params['vus']:,} clients: {fmt(f['stats'].get('p95'), 1)} ms")


def trend(points):
    """Least-squares slope per minute of [(t, v)]."""
    if len(points) < 3:
        return 0.0
    t, v = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    return float(np.polyfit(t - t[0], v, 1)[0] * 60)


def soak(rep, meta, phases, rows, samples):
    p = phases["soak"]
    params = meta["params"]
    span = p["end"] - p["start"]
    warm = min(60.0, 0.2 * span)
    steady = window(samples, p["start"] + warm, p["end"])
    mine = [r for r in rows if r["kind"] not in ("setup",)]
    first = [r for r in mine if r["start"] >= p["start"] + warm and r["start"] < p["start"] + warm + (span - warm) / 5]
    last = [r for r in mine if r["start"] >= p["end"] - (span - warm) / 5]
    s = stats(mine)
    rate = s["count"] / max(1e-3, span)
    rep.add(f"{params['rate']} requests/s offered for {params['duration']} ({rate:.1f}/s answered); figures after a "
            f"warm-up of {warm:.0f} s.")
    rep.add()
    kind_table(rep, mine)
    growth, out = {}, []
    tail = max(1, len(steady) // 10)
    for name in SERVICES:
        got = [(x["t"], x["proc"][name]) for x in steady if name in x["proc"]]
        if len(got) < 2:
            continue
        # Shared memory is Postgres's buffer cache: it fills up to shared_buffers as the run touches
        # pages and then stays, so it is shown but left out of the growth, which looks for leaks.
        private = lambda g: g["rss_kb"] - g.get("shmem_kb", 0)
        base = np.mean([private(g) for _, g in got[:tail]])
        end = np.mean([private(g) for _, g in got[-tail:]])
        growth[name] = (end - base) / base if base else 0.0
        rss_base = np.mean([g["rss_kb"] for _, g in got[:tail]])
        rss_end = np.mean([g["rss_kb"] for _, g in got[-tail:]])
        shmem = (got[-1][1].get("shmem_kb", 0)) / 1024
        fd_slope = trend([(t, g["fds"]) for t, g in got])
        th_slope = trend([(t, g["threads"]) for t, g in got])
        out.append([name, fmt(rss_base / 1024, 1), fmt(rss_end / 1024, 1), fmt(shmem, 1), fmt(100 * growth[name], 1, "%"),
                    f"{got[0][1]['fds']} → {got[-1][1]['fds']} ({fd_slope:+.2f}/min)",
                    f"{got[0][1]['threads']} → {got[-1][1]['threads']} ({th_slope:+.2f}/min)"])
        rep.check(fd_slope * (span - warm) / 60 > max(5, 0.2 * got[0][1]["fds"]), f"{name}: file descriptors rising ({fd_slope:+.2f}/min)")
        rep.check(th_slope * (span - warm) / 60 > max(2, 0.2 * got[0][1]["threads"]), f"{name}: threads rising ({th_slope:+.2f}/min)")
    rep.add("Memory, descriptors and threads after the warm-up (first and last tenth of the samples):")
    rep.add()
    rep.table(["process", "RSS after warm-up MB", "RSS at the end MB", "of which shared memory MB", "growth without it", "fds", "threads"], out)
    conns = [(x["t"], sum((x.get("pg") or {}).get("activity", {}).values())) for x in steady if x.get("pg")]
    if conns:
        slope = trend(conns)
        rep.add(f"Database connections: {conns[0][1]} → {conns[-1][1]} (max {max(c for _, c in conns)}, {slope:+.2f}/min).")
        rep.add()
        rep.check(slope * (span - warm) / 60 > 5, f"database connections rising ({slope:+.2f}/min)")
    p95a, p95b = stats(first).get("p95"), stats(last).get("p95")
    lat_points = []
    b = buckets([r for r in mine if r["start"] >= p["start"] + warm], p["start"], 60 if span >= 300 else max(1, span / 10))
    for k in sorted(b):
        lat_points.append((k, pct([r["ms"] for r in b[k]], 95)))
    rep.figures.update(stats=s, rate=rate, rss_growth=growth, p95_first=p95a, p95_last=p95b, statuses=statuses(mine))
    worst = max(growth.items(), key=lambda kv: kv[1]) if growth else ("–", 0.0)
    rep.criterion(all(g < 0.10 for g in growth.values()), f"RSS growth under 10% after warm-up for every process (shared memory left out): largest {worst[0]} {100 * worst[1]:+.1f}%")
    drift_ok = p95a is not None and p95b is not None and p95b <= 1.25 * p95a + 2
    rep.criterion(drift_ok, f"no latency drift (p95 of the last fifth at most 1.25 × the first fifth after warm-up, + 2 ms): "
                  f"{fmt(p95a, 1)} → {fmt(p95b, 1)} ms")
    fives = Counter(f"{r['kind']} {r['status']}" for r in mine if r["status"].startswith("5"))
    rep.check(fives, f"5xx answers: {sum(fives.values())}" + (f" ({', '.join(f'{k} × {v}' for k, v in sorted(fives.items()))})" if fives else ""))


def spike(rep, meta, phases, rows, samples):
    params = meta["params"]
    yard = [r for r in rows if r["_phase"] == "healthz"]
    p = phases["spike"]
    burst = [r for r in rows if r["_phase"] == "spike" and r["scenario"] == "spike"]
    before = [r for r in rows if r["_phase"] == "spike" and r["scenario"] == "before"]
    after = [r for r in rows if r["_phase"] == "spike" and r["scenario"] == "after"]
    s, st = stats(burst), statuses(burst)
    # What k6 could not start within the second (no free VU in time): offered minus sent.
    dropped = max(0, params["requests"] - s["count"])
    yard_dropped = max(0, params["requests"] - len(yard))
    ok = st.get("200", 0)
    rep.add(f"{params['requests']:,} requests offered within one second (half `/api/gpt/qna`, half `/api/search`, half "
            "signed in), with probes (a signed-in popular question and a search) before and after. The first phase "
            "sends the same spike to `/healthz/gpt` and `/healthz/content`: what the generator and the machine manage "
            "without any work.")
    rep.add()
    ys = stats(yard)
    rep.table(["run", "sent", "not started in time", "statuses", "p95 ms", "max ms"], [
        ["/healthz (the yardstick)", f"{ys['count']:,}", f"{yard_dropped:,}", ", ".join(f"{k} × {v:,}" for k, v in statuses(yard).items()),
         fmt(ys.get("p95")), fmt(ys.get("max"))],
        ["the spike", f"{s['count']:,}", f"{dropped:,}", ", ".join(f"{k} × {v:,}" for k, v in st.items()), fmt(s.get("p95")), fmt(s.get("max"))],
    ])
    kind_table(rep, burst, ["qna-cached", "qna-new", "search"])
    shares = cost_shares(burst)
    rep.table(["requests", "sent", "200 within 2 s", "200 later", "429 / 503", "other"], [
        [label, f"{v['sent']:,}", fmt(100 * v["fast"], 1, "%"), fmt(100 * v["late"], 1, "%"), fmt(100 * v["refused"], 1, "%"),
         fmt(100 * v["other"], 1, "%")] for label, v in shares.items()])
    bare = {k: int(meta["summaries"]["spike"]["metrics"].get(f"refused_without_retry_after{{kind:{k}}}", {}).get("values", {})
                   .get("count", 0)) for k in ("qna-cached", "qna-new", "search")}
    connecting = [r["connecting"] for r in burst]
    waiting = [r["waiting"] for r in burst]
    # The services' own time for the spike's requests, from their histograms: what k6 waited
    # beyond it was spent queued (in nginx's and the services' accept queues, or for a worker).
    spike_end = max((r["end"] for r in burst), default=p["start"])
    spike_start = min((r["start"] for r in burst), default=p["start"])
    inside = window(samples, spike_start - 1, spike_end + 1)
    service_ms = {}
    for name in ("gpt", "content"):
        sums = series(inside, name, "http_server_request_duration_seconds_sum")
        counts = series(inside, name, "http_server_request_duration_seconds_count")
        if len(sums) > 1 and counts[-1][1] > counts[0][1]:
            service_ms[name] = 1000 * (sums[-1][1] - sums[0][1]) / (counts[-1][1] - counts[0][1])
    base95 = stats(before).get("p95")
    threshold = max(1.5 * base95, base95 + 10) if base95 else None
    recovered = None
    if threshold and after:
        b = buckets(after, spike_start, 1)
        keys = sorted(b)
        for i, k in enumerate(keys):
            if all(pct([r["ms"] for r in b[j]], 95) <= threshold for j in keys[i:]):
                recovered = k
                break
    rep.table(["figure", "value"], [
        ["success (200 of sent)", fmt(100 * ok / max(1, s["count"]), 1, "%")],
        ["connect wait (nginx's accept queue) p50 / p95 / max", f"{fmt(pct(connecting, 50), 1)} / {fmt(pct(connecting, 95), 1)} / {fmt(max(connecting, default=None), 1)} ms"],
        ["waiting for the first byte p50 / p95 / max", f"{fmt(pct(waiting, 50), 1)} / {fmt(pct(waiting, 95), 1)} / {fmt(max(waiting, default=None), 1)} ms"],
        ["the services' own mean time per request", ", ".join(f"{k} {v:.1f} ms" for k, v in service_ms.items()) or "–"],
        ["time in queue (mean wait for the first byte minus the services' own time)",
         fmt(float(np.mean(waiting)) - np.mean(list(service_ms.values())) if waiting and service_ms else None, 0, " ms")],
        ["probe p95 before the spike", fmt(base95, 1, " ms")],
        ["back to normal (probe p95 within 1.5× that, for good) after the spike started",
         f"{recovered} s" if recovered is not None else "not within the probes"],
        ["last spike answer", fmt(spike_end - spike_start, 1, " s after the first request")],
    ])
    rep.figures.update(stats=s, statuses=st, success=ok / max(1, s["count"]), dropped=dropped, yardstick=ys,
                       yardstick_dropped=yard_dropped, recovery_s=recovered, probe_p95_before=base95, service_ms=service_ms)
    rep.figures.update(cost_shares=shares)
    rep.criterion(st.get("500", 0) == 0, f"no 500: {st.get('500', 0)}")
    cached = shares["a cache can answer (popular questions)"]
    rep.criterion(cached["fast"] >= 0.9, f"shedding by cost: {fmt(100 * cached['fast'], 1)}% of the questions a cache can "
                  "answer got a 200 within 2 s (at least 90%)")
    rep.criterion(sum(bare.values()) == 0, f"every 429 and 503 with Retry-After: {sum(bare.values())} without")
    slow = sum(1 for r in burst if r["ms"] > 2000 or r["status"] == "0")
    rep.criterion(slow == 0, f"no response slower than 2 s: {slow:,} slower or unanswered (max {fmt(s.get('max'))} ms)")
    rep.check(ok < 0.6 * s["count"], f"success under 60% of the spike: {fmt(100 * ok / max(1, s['count']), 1)}%")
    rep.check(dropped > 0, f"the generator could not start {dropped:,} of the requests in time")


def cost_shares(burst):
    """What became of the spike's requests a cache can answer, and of the rest: shares of those sent."""
    out = {}
    for label, kinds in (("a cache can answer (popular questions)", {"qna-cached"}),
                         ("the rest (new questions, searches)", {"qna-new", "search"})):
        mine = [r for r in burst if r["kind"] in kinds]
        n = max(1, len(mine))
        ok = [r for r in mine if r["status"] == "200"]
        fast = sum(1 for r in ok if r["ms"] <= 2000)
        refused = sum(1 for r in mine if r["status"] in ("429", "503"))
        out[label] = {"sent": len(mine), "fast": fast / n, "late": (len(ok) - fast) / n, "refused": refused / n,
                      "other": (len(mine) - len(ok) - refused) / n}
    return out


TITLES = {"login": "Login storm", "search": "Search and listing", "soak": "Soak", "spike": "Spike"}


def main(out):
    meta = {}
    for entry in read_jsonl(os.path.join(out, "meta.jsonl")):
        for k, v in entry.items():
            if k == "pgbench":
                meta.setdefault(k, []).append(v)
            else:
                meta[k] = v
    phase_list = read_jsonl(os.path.join(out, "phases.jsonl"))
    phases = {p["name"]: p for p in phase_list}
    meta["summaries"] = {name: json.load(open(os.path.join(out, "k6", f"{name}.summary.json"))) for name in phases}
    rows = []
    for name in phases:
        for r in read_requests(os.path.join(out, "k6", f"{name}.csv.gz")):
            r["_phase"] = name
            rows.append(r)
    rows = [r for r in rows if r["kind"] != "setup"]
    samples = read_jsonl(os.path.join(out, "samples.jsonl"))
    scenario = meta["scenario"]
    t0 = min([p["start"] for p in phase_list] + [s["t"] for s in samples[:1]])
    t1 = max([p["end"] for p in phase_list] + [s["t"] for s in samples[-1:]])

    rep = Report()
    {"login": login, "search": search, "soak": soak, "spike": spike}[scenario](rep, meta, phases, rows, samples)
    phase_cpu_table(rep, samples, phase_list, meta.get("machine", {}).get("cores"))
    rep.add("Every sampled process over the whole run (Postgres and nginx with their children; CPU in % of one core):")
    rep.add()
    process_table(rep, samples, meta.get("machine", {}).get("cores"))
    statements(out, rep)

    title = TITLES[scenario] + (" (smoke)" if meta.get("smoke") else "")
    charts(out, title, rows, samples, phase_list, t0, t1)
    m = meta.get("machine", {})
    head = [f"# {title}", "",
            f"`loadtest/run {scenario}{' --smoke' if meta.get('smoke') else ''}` against {meta.get('url')}, "
            f"{m.get('cores')} cores, {m.get('memory_gib')} GiB, Linux {m.get('kernel')}; "
            f"{len(rows):,} requests in {t1 - t0:.0f} s. Parameters: `{json.dumps(meta.get('params', {}), ensure_ascii=False)}`.", "",
            "## Pass criteria", ""]
    head += [f"- **{'PASS' if c['pass'] else 'FAIL'}** {c['text']}" for c in rep.criteria]
    head += ["", "## Bottleneck checks", ""]
    head += [f"- {'**found**' if c['found'] else 'not found'}: {c['text']}" for c in rep.checks]
    head += ["", "## Figures", ""]
    tail = ["## Charts", "", "![latency](latency.png)", "", "![status codes](status.png)", "",
            "![memory](memory.png)", "", "![cpu](cpu.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(head + rep.lines + tail))
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"scenario": scenario, "smoke": meta.get("smoke"), "params": meta.get("params"),
                   "criteria": rep.criteria, "checks": rep.checks, "figures": rep.figures, "requests": len(rows)},
                  f, indent=1, default=float)
    for c in rep.criteria:
        print(f"{'PASS' if c['pass'] else 'FAIL'}  {c['text']}")


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        main(folder)
