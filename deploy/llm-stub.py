#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible chat API, for development and tests.

Standard library only. Answers are deterministic ("Stub answer to: <question>") so tests can
assert on them; /stats counts chat-completion calls so tests can prove caching and request
coalescing (N identical concurrent questions should reach the upstream once).

Endpoints:
  POST /v1/chat/completions   the usual request and response bodies (no streaming)
  GET  /v1/models             lists the configured model
  GET  /stats                 {"requests": n}  chat-completion calls since start or reset
  POST /stats/reset           sets the counter to 0
  GET  /config, POST /config  read or change {"latency_ms": n, "failure_rate": f} at run time
"""

import argparse
import json
import os
import random
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    """Counters and knobs shared by all request threads."""

    def __init__(self, model, latency_ms, failure_rate, require_key):
        self.lock = threading.Lock()
        self.model = model
        self.latency_ms = latency_ms
        self.failure_rate = failure_rate
        self.require_key = require_key
        self.requests = 0

    def count_request(self):
        with self.lock:
            self.requests += 1

    def snapshot(self):
        with self.lock:
            return {"requests": self.requests}

    def reset(self):
        with self.lock:
            self.requests = 0

    def config(self):
        with self.lock:
            return {"latency_ms": self.latency_ms, "failure_rate": self.failure_rate}

    def update_config(self, values):
        # Parse everything first so a bad value changes nothing.
        latency_ms = max(0, int(values.get("latency_ms", self.latency_ms)))
        failure_rate = min(1.0, max(0.0, float(values.get("failure_rate", self.failure_rate))))
        with self.lock:
            self.latency_ms = latency_ms
            self.failure_rate = failure_rate


def openai_error(message, err_type, code=None):
    return {"error": {"message": message, "type": err_type, "param": None, "code": code}}


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


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so pooled clients can keep connections alive (every reply sets Content-Length).
    protocol_version = "HTTP/1.1"
    server_version = "llm-stub/1.0"
    state: State  # set on the subclass in main()

    # --- plumbing -------------------------------------------------------------------------

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
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
            self.chat_completion()
        elif path == "/stats/reset":
            self.read_json()  # drain any body so the connection stays usable
            self.state.reset()
            self.send_json(200, self.state.snapshot())
        elif path == "/config":
            try:
                self.state.update_config(self.read_json())
            except (ValueError, TypeError, AttributeError) as error:
                self.send_json(400, openai_error(f"Bad config: {error}", "invalid_request_error"))
                return
            self.send_json(200, self.state.config())
        else:
            self.send_json(404, openai_error(f"Unknown path {path}", "invalid_request_error"))

    def chat_completion(self):
        # Counted on arrival, before the latency, so concurrent duplicates are all visible.
        self.state.count_request()
        try:
            body = self.read_json()
        except (ValueError, UnicodeDecodeError):
            self.send_json(400, openai_error("Body is not valid JSON", "invalid_request_error"))
            return

        if self.state.require_key:
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or not auth[len("Bearer "):].strip():
                self.send_json(401, openai_error(
                    "You didn't provide an API key.", "invalid_request_error", "invalid_api_key"))
                return

        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            self.send_json(400, openai_error(
                "'messages' must be a non-empty array", "invalid_request_error"))
            return
        if body.get("stream"):
            self.send_json(400, openai_error(
                "The stub does not stream; send stream=false", "invalid_request_error"))
            return

        config = self.state.config()
        time.sleep(config["latency_ms"] / 1000)

        if random.random() < config["failure_rate"]:
            if random.random() < 0.5:
                self.send_json(429, openai_error(
                    "Rate limit reached (simulated by llm-stub)", "requests", "rate_limit_exceeded"),
                    {"Retry-After": "1"})
            else:
                self.send_json(500, openai_error(
                    "The server had an error (simulated by llm-stub)", "server_error"))
            return

        question = ""
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                question = text_of(message.get("content"))
                break
        answer = f"Stub answer to: {question}"
        prompt_tokens = sum(
            estimate_tokens(text_of(m.get("content"))) for m in messages if isinstance(m, dict))
        completion_tokens = estimate_tokens(answer)
        self.send_json(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.state.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        })


def main():
    parser = argparse.ArgumentParser(description="OpenAI-compatible stub for local development")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--model", default=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
                        help="model listed by /v1/models and used when a request names none")
    parser.add_argument("--latency-ms", type=int,
                        default=int(os.environ.get("LLM_STUB_LATENCY_MS", "200")))
    parser.add_argument("--failure-rate", type=float,
                        default=float(os.environ.get("LLM_STUB_FAILURE_RATE", "0")),
                        help="share of chat calls that fail with 429 or 500 (0..1)")
    parser.add_argument("--require-key", action="store_true",
                        help="answer 401 unless an 'Authorization: Bearer ...' header is sent")
    args = parser.parse_args()

    Handler.state = State(args.model, max(0, args.latency_ms),
                          min(1.0, max(0.0, args.failure_rate)), args.require_key)
    ThreadingHTTPServer.daemon_threads = True
    # The default backlog of 5 drops connections when tests fire dozens of concurrent requests.
    ThreadingHTTPServer.request_queue_size = 256
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    sys.stderr.write(f"llm-stub listening on http://{args.host}:{args.port}/v1 "
                     f"(model {args.model}, latency {args.latency_ms} ms, "
                     f"failure rate {args.failure_rate})\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
