#!/usr/bin/env python3
"""Samples the stack while a load scenario runs, one JSON line per interval:

  proc     RSS, open file descriptors, threads and CPU seconds of every process the stack's
           pidfiles name (Postgres and nginx with their children), and of k6
  cpu      the machine's busy and total jiffies (/proc/stat)
  metrics  chosen series of each service's /metrics (port read from the process's HTTP_PORT)
  pg       pg_stat_activity by state and pg_stat_database counters

and, at the start and at SIGTERM, pg_stat_statements (start.json, end.json) so the report can
tell which statements the run cost.

  sampler.py --run-dir STACK/run --db URL --out DIR [--interval 1]
"""
import argparse
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

CLOCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SERVICES = ["auth", "content", "gpt", "workers"]
# Processes sampled with their children: their workers/backends are separate processes.
WITH_CHILDREN = {"postgres", "nginx"}
KEEP = re.compile(r"^(db_pool_|redis_pool_|redis_commands_in_flight|auth_password_hash_|auth_logins_total|"
                  r"content_page_cache_total|gpt_answers_total|gpt_upstream_calls_total|gpt_refusals_total|"
                  r"http_server_request_duration_seconds_(sum|count))")
PG_SAMPLE = """SELECT json_build_object(
  'activity', (SELECT coalesce(json_object_agg(state, n), '{}') FROM
               (SELECT coalesce(state, 'background') AS state, count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() GROUP BY 1) s),
  'db', (SELECT row_to_json(d) FROM (SELECT xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
         tup_fetched, tup_inserted, temp_bytes, deadlocks FROM pg_stat_database WHERE datname = current_database()) d))"""
PG_STATEMENTS = """SELECT coalesce(json_agg(s), '[]') FROM (
  SELECT queryid, calls, total_exec_time, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 400) AS query
  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) s"""


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def pidfiles(run_dir):
    """{name: pidfile} for every component deploy/dev writes a pidfile for, and Postgres's own."""
    found = {name[:-4]: os.path.join(run_dir, name) for name in os.listdir(run_dir) if name.endswith(".pid")}
    postmaster = os.path.join(os.path.dirname(run_dir), "pg", "data", "postmaster.pid")
    if os.path.exists(postmaster):
        found["postgres"] = postmaster
    return found


def children(pid):
    """Direct children of pid, from /proc/<pid>/task/*/children."""
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def process(pid, with_children):
    """rss_kb, shmem_kb, fds, threads, cpu_s of pid (and its children).

    With children (Postgres, nginx), private memory is summed while the pages every process maps
    alike, the binary and the shared memory segment, are counted once: summing each backend's
    VmRSS would count Postgres's buffer cache once per backend that touched it."""
    pids = [pid] + (children(pid) if with_children else [])
    rss = anon = mapped = shmem = fds = threads = 0
    cpu = 0.0
    for i, p in enumerate(pids):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{p}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            fds += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            continue
        # utime, stime; the parent's cutime/cstime hold children that already exited.
        cpu += (int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if i == 0 else 0)) / CLOCK
        threads += int(status["Threads"])
        kb = lambda key: int(status.get(key, "0 kB").split()[0])
        rss += kb("VmRSS")
        anon += kb("RssAnon")
        mapped = max(mapped, kb("RssFile"))
        shmem = max(shmem, kb("RssShmem"))
    if len(pids) > 1:
        rss = anon + mapped + shmem
    return {"rss_kb": rss, "shmem_kb": shmem, "fds": fds, "threads": threads, "cpu_s": round(cpu, 2), "processes": len(pids)}


def by_name(comm):
    """Pids whose command is comm (the load generator, which no pidfile names)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == comm:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def http_port(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for entry in f.read().split(b"\0"):
                if entry.startswith(b"HTTP_PORT="):
                    return int(entry[10:])
    except OSError:
        pass
    return None


def metrics(port):
    series = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line and not line.startswith("#") and KEEP.match(line):
            key, _, value = line.rpartition(" ")
            try:
                series[key] = float(value)
            except ValueError:
                pass
    return series


def machine_cpu():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return {"busy": sum(values) - idle, "total": sum(values)}


def sql(db, query):
    try:
        out = subprocess.run([os.environ.get("PSQL", "psql"), db, "-qtAX", "-c", query],
                             capture_output=True, text=True, timeout=5)
        return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    with open(os.path.join(args.out, "statements-start.json"), "w") as f:
        json.dump(sql(args.db, PG_STATEMENTS) or [], f)
    files = pidfiles(args.run_dir)
    ports = {name: http_port(read_pid(files[name])) for name in SERVICES if name in files}
    with open(os.path.join(args.out, "samples.jsonl"), "a") as out:
        next_at = time.monotonic()
        while not stop:
            sample = {"t": round(time.time(), 3), "proc": {}, "cpu": machine_cpu(), "metrics": {}}
            for name, path in sorted(files.items()):
                pid = read_pid(path)
                if pid and os.path.exists(f"/proc/{pid}"):
                    sample["proc"][name] = process(pid, name in WITH_CHILDREN)
            k6 = by_name("k6")
            if k6:
                sample["proc"]["k6"] = process(k6[0], False)
            for name, port in ports.items():
                if port:
                    sample["metrics"][name] = metrics(port)
            sample["pg"] = sql(args.db, PG_SAMPLE)
            out.write(json.dumps(sample, separators=(",", ":")) + "\n")
            out.flush()
            next_at += args.interval
            # Sleep in short steps so SIGTERM ends the loop promptly.
            while not stop and time.monotonic() < next_at:
                time.sleep(min(0.1, max(0.0, next_at - time.monotonic())))
    with open(os.path.join(args.out, "statements-end.json"), "w") as f:
        json.dump(sql(args.db, PG_STATEMENTS) or [], f)


if __name__ == "__main__":
    main()
