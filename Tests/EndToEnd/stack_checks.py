"""End-to-end checks of how `deploy/dev` runs the stack: each secret reaches only the process that
uses it. Reads the processes' environments from /proc through the pidfiles next to E2E_LOG_DIR.
"""
import os
import subprocess
import unittest
from urllib.parse import urlparse

from auth_flows import LOG_DIR, REDIS_URL

RUN_DIR = os.path.join(os.path.dirname(LOG_DIR), "run") if LOG_DIR else ".dev/run"
# Which service may hold which secret.
SECRETS = {"SIGNING_KEY_SECRET": {"auth"}, "CONTENT_CURSOR_SECRET": {"content"}, "MAIL_LINK_SECRET": {"auth", "workers"}}


def environment(name):
    with open(os.path.join(RUN_DIR, f"{name}.pid")) as f:
        pid = f.read().strip()
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [entry.split(b"=", 1) for entry in f.read().split(b"\0") if b"=" in entry]
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


class StackChecks(unittest.TestCase):
    def test_each_secret_reaches_only_the_service_that_uses_it(self):
        for service in ["auth", "content", "gpt", "workers"]:
            env = environment(service)
            for secret, owners in SECRETS.items():
                if service in owners:
                    self.assertTrue(env.get(secret), f"{service} lacks {secret}")
                else:
                    self.assertNotIn(secret, env, f"{service} holds {secret}")

    def test_redis_keeps_revocations_across_a_restart(self):
        # Sessions and revocation marks live in Redis: the stack's Redis writes an append-only
        # file synced every second.
        url = urlparse(REDIS_URL)
        def config(name):
            out = subprocess.run(["redis-cli", "-h", url.hostname, "-p", str(url.port), "CONFIG", "GET", name],
                                 capture_output=True, text=True, check=True).stdout.split()
            return out[1] if len(out) > 1 else None
        self.assertEqual(config("appendonly"), "yes")
        self.assertEqual(config("appendfsync"), "everysec")


if __name__ == "__main__":
    unittest.main()
