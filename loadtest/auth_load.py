#!/usr/bin/env python3
"""Load generator for the login endpoint (behind nginx, default http://127.0.0.1:8080).

It runs up to two request streams at the same time and reports, per stream, how many
requests were sent, how each was answered, the achieved 2xx throughput and the latency.

- login: POST /api/auth/login as bench0..bench{N-1}@example.com, either OPEN loop at
  --login-rate per second, or CLOSED loop with --login-concurrency workers that send
  the next login as soon as the previous one is answered (saturation throughput).
- me (optional, --me-rate): GET /api/users/me with the bearer token of one login of
  bench0 made before the run, open loop. The token is not refreshed, so runs longer than
  the access-token TTL (600 s by default) will see 401s.

Why open loop: in a closed loop a slow answer delays the sender's next request, so an
overloaded server quietly receives less load and its latency looks better than users
would see it. Here request i is sent at start + i/rate whatever happened to the earlier
ones; a connection pool grows as needed so no request waits for a free connection, and
latency is counted from the time the request was due, so stalls are not hidden.

Timing: --warmup seconds are run first and discarded, then --duration seconds are
measured. A request belongs to the window it was sent in; "2xx/s" counts 2xx answers
that arrived inside the measured window. Status 0 means a timeout (--timeout, default
10 s) or a connection error; "all" latencies include those. Standard library only.
"""
import argparse
import asyncio
import json
import random
import statistics
import time

LOGIN_PATH = "/api/auth/login"
ME_PATH = "/api/users/me"


class Pool:
    """Keep-alive connections to one host: reuses an idle one or opens another."""

    def __init__(self, host, port):
        self.host, self.port, self.idle, self.opened = host, port, [], 0

    async def acquire(self):
        while self.idle:
            conn = self.idle.pop()
            if not conn[0].at_eof():
                return conn, True
            conn[1].close()
        conn = await asyncio.open_connection(self.host, self.port)
        self.opened += 1
        return conn, False

    def release(self, conn, keep_alive):
        (self.idle.append(conn) if keep_alive else conn[1].close())

    def close_all(self):
        while self.idle:
            self.idle.pop()[1].close()


def build_request(host, method, path, headers=None, body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def login_request(host, email, password):
    body = json.dumps({"email": email, "password": password}).encode()
    return build_request(host, "POST", LOGIN_PATH, {"Content-Type": "application/json"}, body)


async def read_response(reader):
    """Returns (status, headers with lower-case names, body, keep_alive)."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    version, status = head[0].split(" ", 2)[:2]
    status = int(status)
    headers = {}
    for line in head[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection == "keep-alive" or (version == "HTTP/1.1" and connection != "close")
    if status < 200 or status in (204, 304):
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await read_chunked(reader)
    else:  # delimited by the end of the connection
        body, keep_alive = await reader.read(), False
    return status, headers, body, keep_alive


async def read_chunked(reader):
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        body += (await reader.readexactly(size + 2))[:-2]
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return body


async def send(pool, request):
    """One exchange. A reused connection the server closed while idle is retried once."""
    for attempt in (1, 2):
        conn, reused = await pool.acquire()
        try:
            conn[1].write(request)
            await conn[1].drain()
            status, headers, body, keep_alive = await read_response(conn[0])
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            conn[1].close()
            nothing_read = not getattr(error, "partial", b"")
            if reused and attempt == 1 and nothing_read:
                continue
            raise
        except BaseException:  # includes the cancellation of a timeout
            conn[1].close()
            raise
        pool.release(conn, keep_alive)
        return status, headers, body


async def timed(stream, pool, request, timeout, due):
    """Sends one request and records (due, done, status, retry_after, error) in the stream."""
    stream["max_lag"] = max(stream["max_lag"], time.monotonic() - due)
    status, headers, body, error = 0, {}, b"", None
    try:
        status, headers, body = await asyncio.wait_for(send(pool, request), timeout)
    except TimeoutError:
        error = "timeout"
    except Exception as exc:  # a load generator records failures and carries on
        error = type(exc).__name__
    retry_after = headers.get("retry-after", "")
    retry_after = int(retry_after) if retry_after.isdigit() else None
    stream["results"].append((due, time.monotonic(), status, retry_after, error))
    return status, body


async def open_loop(stream, pool, requests, rate, start, end, timeout):
    """Request i is due at start + i/rate; it is sent then whatever the earlier ones do."""
    pending, i = set(), 0
    while (due := start + i / rate) < end:
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(timed(stream, pool, requests[i % len(requests)], timeout, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
    if pending:
        await asyncio.wait(pending)


async def closed_loop(stream, pool, requests, workers, start, end, timeout):
    """Each worker sends its next request as soon as its previous one is answered."""
    await asyncio.sleep(max(0.0, start - time.monotonic()))

    async def worker(i):
        while time.monotonic() < end:
            await timed(stream, pool, requests[i % len(requests)], timeout, time.monotonic())
            i += workers

    await asyncio.gather(*(worker(w) for w in range(workers)))


async def fetch_token(pool, host, password, timeout, give_up_after=30.0):
    request, last = login_request(host, "bench0@example.com", password), "no attempt"
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        try:
            status, _, body = await asyncio.wait_for(send(pool, request), timeout)
            if status == 200:
                return json.loads(body)["accessToken"]
            last = f"HTTP {status} {body[:200]!r}"
        except Exception as exc:
            last = f"{type(exc).__name__}: {exc}"
        await asyncio.sleep(0.5 + random.random() * 0.5)
    raise SystemExit(f"initial login of bench0@example.com failed for {give_up_after:.0f} s: {last}")


def latency_summary(seconds):
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"n": 0}
    rank = lambda p: ms[min(len(ms) - 1, max(0, -(-p * len(ms) // 100) - 1))]  # nearest rank
    values = {"p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ms[-1], "mean": statistics.fmean(ms)}
    return {"n": len(ms), **{k: round(v, 3) for k, v in values.items()}}


def summarize(stream, pool, window_start, window_end):
    results = stream["results"]
    measured = [r for r in results if window_start <= r[0] < window_end]
    status_counts, error_counts = {}, {}
    for _, _, status, _, error in measured:
        status_counts[status] = status_counts.get(status, 0) + 1
        if error:
            error_counts[error] = error_counts.get(error, 0) + 1
    ok_in_window = sum(1 for r in results if 200 <= r[2] < 300 and window_start <= r[1] <= window_end)
    latency = lambda keep: latency_summary([done - due for due, done, s, _, _ in measured if keep(s)])
    retry_afters = [r[3] for r in measured if r[2] == 503 and r[3] is not None]
    other_5xx = lambda rs: sum(1 for r in rs if 500 <= r[2] < 600 and r[2] != 503)
    return {
        "mode": stream["mode"], "sent": len(measured),
        "completed": sum(1 for r in measured if r[2] != 0),
        "status": {str(k): v for k, v in sorted(status_counts.items())}, "errors": error_counts,
        "ok_per_second": round(ok_in_window / (window_end - window_start), 3),
        "latency_ms": {"all": latency(lambda s: True), "2xx": latency(lambda s: 200 <= s < 300),
                       "503": latency(lambda s: s == 503)},
        "retry_after_max_503": max(retry_afters, default=None),
        "other_5xx": other_5xx(measured), "other_5xx_in_warmup": other_5xx(r for r in results if r[0] < window_start),
        "max_send_lag_ms": round(stream["max_lag"] * 1000, 3), "connections_opened": pool.opened,
    }


def print_report(args, summaries):
    print(f"\nauth_load against {args.url}: warmup {args.warmup:g} s discarded, measured {args.duration:g} s")
    for name, s in summaries.items():
        print(f"\n[{name}] {s['mode']}")
        print(f"  sent {s['sent']}  completed {s['completed']}  2xx/s {s['ok_per_second']:.1f}"
              f"  connections opened {s['connections_opened']}  max send lag {s['max_send_lag_ms']:.1f} ms")
        print("  status  " + "  ".join(f"{k}={v}" for k, v in s["status"].items())
              + ("  (0: " + ", ".join(f"{k}={v}" for k, v in s["errors"].items()) + ")" if s["errors"] else ""))
        print(f"  {'latency ms':<12}{'n':>8}{'p50':>10}{'p90':>10}{'p99':>10}{'max':>10}")
        for label, lat in s["latency_ms"].items():
            if lat["n"]:
                print(f"  {label:<12}{lat['n']:>8}" + "".join(f"{lat[p]:>10.1f}" for p in ("p50", "p90", "p99", "max")))
        if s["retry_after_max_503"] is not None:
            print(f"  503 largest Retry-After: {s['retry_after_max_503']} s")
    other = sum(s["other_5xx"] for s in summaries.values())
    warmup = sum(s["other_5xx_in_warmup"] for s in summaries.values())
    banner = "OK" if other == 0 else "!!! SHOULD BE 0 !!!"
    print(f"\n*** 5xx other than 503: {other}  {banner}"
          + (f"  (plus {warmup} during warmup)" if warmup else "") + " ***")
    return other


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080", help="base URL, http only")
    login = p.add_mutually_exclusive_group(required=True)
    login.add_argument("--login-rate", type=float, metavar="R", help="open-loop logins per second (0: no login stream)")
    login.add_argument("--login-concurrency", type=int, metavar="C", help="closed loop: workers sending logins back to back")
    p.add_argument("--me-rate", type=float, metavar="R", default=0.0, help="open-loop GET /api/users/me per second (0: off)")
    p.add_argument("--duration", type=float, metavar="S", default=30.0, help="measured seconds (default 30)")
    p.add_argument("--warmup", type=float, metavar="S", default=2.0, help="seconds run first and discarded (default 2)")
    p.add_argument("--users", type=int, metavar="N", default=100, help="accounts bench0..bench{N-1}@example.com (default 100)")
    p.add_argument("--password", default="bench password", help="password of every bench account")
    p.add_argument("--timeout", type=float, metavar="S", default=10.0, help="per-request timeout in seconds (default 10)")
    p.add_argument("--json", metavar="FILE", help="also write the numbers as JSON to FILE")
    args = p.parse_args()
    host_port = args.url.removeprefix("http://").split("/", 1)[0]
    host, _, port = host_port.partition(":")
    if not args.url.startswith("http://") or not host or not (port or "80").isdigit():
        p.error(f"--url must look like http://host[:port], got {args.url!r}")
    args.host, args.port = host, int(port or 80)
    if (args.login_rate is not None and args.login_rate < 0) or args.me_rate < 0:
        p.error("rates must be >= 0")
    if args.login_concurrency is not None and args.login_concurrency < 1:
        p.error("--login-concurrency must be >= 1")
    if not args.login_concurrency and not args.login_rate and not args.me_rate:
        p.error("nothing to do: give a login rate or concurrency, or --me-rate")
    if args.duration <= 0 or args.warmup < 0 or args.users < 1 or args.timeout <= 0:
        p.error("--duration and --timeout must be > 0, --warmup >= 0, --users >= 1")
    return args


async def run(args):
    runs, pools = {}, {}
    logins = [login_request(args.host, f"bench{i}@example.com", args.password) for i in range(args.users)]
    token = None
    if args.me_rate:
        pools["me"] = Pool(args.host, args.port)
        token = await fetch_token(pools["me"], args.host, args.password, args.timeout)
    start = time.monotonic() + 0.05
    window_start = start + args.warmup
    end = window_start + args.duration
    if args.login_concurrency:
        runs["login"] = (f"closed loop, {args.login_concurrency} workers, {args.users} users", closed_loop,
                         logins, args.login_concurrency)
    elif args.login_rate:
        runs["login"] = (f"open loop, {args.login_rate:g}/s, {args.users} users", open_loop, logins, args.login_rate)
    if args.me_rate:
        me = build_request(args.host, "GET", ME_PATH, {"Authorization": f"Bearer {token}"})
        runs["me"] = (f"open loop, {args.me_rate:g}/s", open_loop, [me], args.me_rate)
    streams = {name: {"mode": r[0], "results": [], "max_lag": 0.0} for name, r in runs.items()}
    for name in runs:
        pools.setdefault(name, Pool(args.host, args.port))
    await asyncio.gather(*(loop(streams[name], pools[name], requests, amount, start, end, args.timeout)
                           for name, (_, loop, requests, amount) in runs.items()))
    for pool in pools.values():
        pool.close_all()
    return {name: summarize(streams[name], pools[name], window_start, end) for name in runs}


def main():
    args = parse_args()
    summaries = asyncio.run(run(args))
    other_5xx = print_report(args, summaries)
    if args.json:
        config = {k: v for k, v in vars(args).items() if k not in ("json", "password")}
        with open(args.json, "w") as f:
            json.dump({"config": config, "streams": summaries, "other_5xx": other_5xx}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
