"""End-to-end checks of how `deploy/dev` runs the stack: each secret reaches only the process that
uses it, and each service logs in to Postgres as a role that reaches only its own schema and what
the others grant it (deploy/postgres/roles.sql). Reads the processes' environments from /proc
through the pidfiles next to E2E_LOG_DIR.
"""
import os
import subprocess
import unittest
from urllib.parse import urlparse

from auth_flows import AUTH_BIN, DATABASE_URL, LOG_DIR, PSQL, REDIS_URL, sql

RUN_DIR = os.path.join(os.path.dirname(LOG_DIR), "run") if LOG_DIR else ".dev/run"
# Which service may hold which secret.
SECRETS = {"SIGNING_KEY_SECRET": {"auth"}, "CONTENT_CURSOR_SECRET": {"content"}, "MAIL_LINK_SECRET": {"auth", "workers"},
           "GPT_ADDRESS_SECRET": {"gpt"}}
SERVICES = ["auth", "content", "gpt", "workers"]
# Which schema each role owns.
OWNERS = {"auth": "auth_svc", "content": "content_svc", "gpt": "gpt_svc", "queue": "workers_svc", "audit": "workers_svc"}
# What each service role may and may not do outside its own schema: (statement, allowed).
REACH = {
    "auth_svc": [("SELECT count(*) FROM auth.users", True), ("SELECT id, queue, run_at FROM queue.jobs LIMIT 1", True),
                 ("SELECT payload FROM queue.jobs LIMIT 1", False), ("SELECT 1 FROM content.posts LIMIT 1", False),
                 ("SELECT 1 FROM audit.events LIMIT 1", False), ("DELETE FROM queue.jobs", False)],
    "content_svc": [("SELECT 1 FROM content.posts LIMIT 1", True), ("SELECT email FROM auth.users LIMIT 1", False),
                    ("SELECT 1 FROM audit.events LIMIT 1", False), ("SELECT 1 FROM auth.signing_keys LIMIT 1", False)],
    "gpt_svc": [("SELECT id FROM queue.jobs LIMIT 1", True), ("SELECT payload FROM queue.jobs LIMIT 1", False),
                ("SELECT email FROM auth.users LIMIT 1", False), ("SELECT 1 FROM content.posts LIMIT 1", False)],
    "workers_svc": [("SELECT payload FROM queue.jobs LIMIT 1", True), ("SELECT 1 FROM audit.events LIMIT 1", True),
                    ("SELECT status FROM content.videos LIMIT 1", True), ("SELECT email FROM auth.users LIMIT 1", False),
                    ("SELECT password_hash FROM auth.users LIMIT 1", False), ("SELECT 1 FROM content.posts LIMIT 1", False),
                    ("DELETE FROM content.videos", False)],
}


def as_role(role, statement):
    """Runs one statement as `role` (on loopback its password is its name): (succeeded, stderr)."""
    url = urlparse(DATABASE_URL)
    done = subprocess.run([PSQL, f"postgres://{role}:{role}@{url.hostname}:{url.port}{url.path}", "-qtAX",
                           "-v", "ON_ERROR_STOP=1", "-c", statement], capture_output=True, text=True)
    return done.returncode == 0, done.stderr.strip()


def environment(name):
    with open(os.path.join(RUN_DIR, f"{name}.pid")) as f:
        pid = f.read().strip()
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [entry.split(b"=", 1) for entry in f.read().split(b"\0") if b"=" in entry]
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


class StackChecks(unittest.TestCase):
    def test_the_operator_commands_answer_help_and_mistakes_in_words(self):
        for args in (["--help"], ["create-admin", "--help"], ["help", "rotate-signing-key"]):
            run = subprocess.run([AUTH_BIN, *args], capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 0, (args, run.stdout, run.stderr))
            self.assertIn("USAGE: AuthService", run.stdout, args)
        run = subprocess.run([AUTH_BIN, "create-admin", "--email", "a@example.com", "--no-such-option"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 64, run.stderr)  # EX_USAGE
        self.assertIn("Unknown option '--no-such-option'", run.stderr)

    def test_each_secret_reaches_only_the_service_that_uses_it(self):
        for service in ["auth", "content", "gpt", "workers"]:
            env = environment(service)
            for secret, owners in SECRETS.items():
                if service in owners:
                    self.assertTrue(env.get(secret), f"{service} lacks {secret}")
                else:
                    self.assertNotIn(secret, env, f"{service} holds {secret}")

    def test_each_service_logs_in_as_its_own_database_role(self):
        for service in SERVICES:
            self.assertEqual(urlparse(environment(service)["DATABASE_URL"]).username, f"{service}_svc")

    def test_a_service_role_reaches_only_its_own_schema_and_what_it_is_granted(self):
        for role, checks in REACH.items():
            for statement, allowed in checks:
                ok, error = as_role(role, statement)
                if allowed:
                    self.assertTrue(ok, f"{role} should be able to run {statement}: {error}")
                else:
                    self.assertFalse(ok, f"{role} ran {statement}")
                    self.assertIn("permission denied", error, f"{role}: {statement}")

    def test_no_service_role_may_create_roles_databases_or_schemas(self):
        rows = sql("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
                    "WHERE rolname LIKE '%\\_svc' ORDER BY 1").splitlines()
        self.assertEqual([row.split("|")[0] for row in rows], sorted(f"{service}_svc" for service in SERVICES))
        for row in rows:
            self.assertEqual(row.split("|")[1:], ["f", "f", "f", "f"], row)
        for service in SERVICES:
            ok, error = as_role(f"{service}_svc", "CREATE SCHEMA intruder")
            self.assertFalse(ok)
            self.assertIn("permission denied", error)
        # The analysts' role reads the audit tables and cannot log in.
        self.assertEqual(sql("SELECT rolcanlogin, has_table_privilege('analyst', 'audit.events', 'SELECT'), "
                              "has_table_privilege('analyst', 'auth.users', 'SELECT') FROM pg_roles WHERE rolname = 'analyst'"),
                         "f|t|f")
        # An autoscaler's role counts jobs per queue and state and never sees a payload.
        self.assertEqual(sql("SELECT has_column_privilege('queue_observer', 'queue.jobs', 'state', 'SELECT'), "
                             "has_column_privilege('queue_observer', 'queue.jobs', 'payload', 'SELECT')"), "t|f")

    def test_everything_in_a_schema_belongs_to_the_schemas_role(self):
        for schema, owner in OWNERS.items():
            owners = set(sql(f"""
                SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '{schema}'
                UNION SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = '{schema}'::regnamespace
                UNION SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = '{schema}'::regnamespace
            """).split())
            self.assertEqual(owners, {owner}, schema)
        self.assertGreater(int(sql("SELECT count(*) FROM pg_class WHERE relnamespace = 'auth'::regnamespace")), 3)

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
