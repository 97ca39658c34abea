"""Tests of deploy/supervisor.py with fake processes (a few lines of Python that listen on a port):
start order and readiness, instances and their ports, who gets which secret, restarts with
backoff and where they show, bringing a running stack in line with a new table, stopping.

    python3 -m unittest deploy/test_supervisor.py      (deploy/test runs it)
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import supervisor  # noqa: E402

SUPERVISOR = pathlib.Path(supervisor.__file__).resolve()

# Notes its start, waits FAKE_DELAY seconds, listens on its port, notes SIGTERM and exits.
FAKE = textwrap.dedent("""
    import os, signal, socket, sys, time
    name = os.environ["FAKE_NAME"]
    def note(what):
        with open(os.environ["FAKE_TRACE"], "a") as f:
            f.write(f"{what} {name} {time.time()}\\n")
    def stop(*_):
        note("stop")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    note("start")
    time.sleep(float(os.environ.get("FAKE_DELAY", "0")))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen()
    note("ready")
    print("listening", flush=True)
    while True:
        server.accept()[0].close()
""")

TABLE = """
[environments.common]
FAKE_TRACE = "${DIR}/trace"

[secrets]
ONLY_A = "${DIR}/only-a"
ONLY_B = "${DIR}/only-b"

[[process]]
name = "b"
after = ["a"]
command = ["${PYTHON}", "${DIR}/fake.py", "${PORT}"]
port = "${B_PORT}"
instances = "${B_INSTANCES:-1}"
environments = ["common"]
environment = { FAKE_NAME = "${NAME}", WHERE = "instance ${INSTANCE} on ${PORT}" }
secrets = ["ONLY_B"]
ready = { tcp = "${PORT}" }

[[process]]
name = "a"
command = ["${PYTHON}", "${DIR}/fake.py", "${PORT}"]
port = "${A_PORT}"
environments = ["common"]
environment = { FAKE_NAME = "a", FAKE_DELAY = "0.3", PEERS = "${b.addresses}" }
secrets = ["ONLY_A"]
ready = { tcp = "${PORT}" }

[[process]]
name = "once"
oneshot = true
after = ["a"]
command = ["sh", "-c", "echo ran >> ${DIR}/once"]

[[process]]
name = "off"
when = "${OFF:-}"
command = ["false"]
"""


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Expansion(unittest.TestCase):
    def test_references_defaults_and_nesting(self):
        env = {"A": "1", "EMPTY": "", "PORT": "5"}
        self.assertEqual(supervisor.expand("x${A}y", env), "x1y")
        self.assertEqual(supervisor.expand("${EMPTY}", env), "")
        self.assertEqual(supervisor.expand("${EMPTY:-d}", env), "d")
        self.assertEqual(supervisor.expand("${NOPE:-http://h:${PORT}/v1}", env), "http://h:5/v1")
        with self.assertRaises(KeyError):
            supervisor.expand("${NOPE}", env)

    def test_start_order_follows_after_then_the_table(self):
        entries = [{"name": "c", "after": ["b"]}, {"name": "a"}, {"name": "b", "after": ["a"]}, {"name": "d"}]
        self.assertEqual([e["name"] for e in supervisor.start_order(entries)], ["a", "b", "c", "d"])
        with self.assertRaises(ValueError):
            supervisor.start_order([{"name": "x", "after": ["y"]}, {"name": "y", "after": ["x"]}])


class Stack(unittest.TestCase):
    def setUp(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="supervisor-test."))
        (self.dir / "fake.py").write_text(FAKE)
        (self.dir / "stack.toml").write_text(TABLE)
        self.state = self.dir / "run"
        a, b, b2 = free_ports(3)
        self.ports = {"a": a, "b": b, "b-2": b2}
        # Restarts after 0.2 s, then 0.4...: the backoff's shape without its seconds.
        self.env = dict(os.environ, DIR=str(self.dir), PYTHON=sys.executable, LOGS=str(self.dir / "logs"),
                        A_PORT=str(a), B_PORT=str(b), DEV_B_PORT_2=str(b2), SUPERVISOR_BACKOFF_FIRST="0.2")

    def tearDown(self):
        self.cli("down")
        subprocess.run(["rm", "-rf", str(self.dir)])

    def cli(self, *args, env=None):
        return subprocess.run([sys.executable, str(SUPERVISOR), args[0], str(self.state), *args[1:]],
                              env=env or self.env, capture_output=True, text=True, timeout=60)

    def up(self, **extra):
        done = self.cli("up", str(self.dir / "stack.toml"), env=dict(self.env, **extra))
        self.assertEqual(done.returncode, 0, done.stderr)
        return done

    def pid(self, name):
        return int((self.state / f"{name}.pid").read_text())

    def environment(self, name):
        raw = pathlib.Path(f"/proc/{self.pid(name)}/environ").read_bytes()
        return dict(entry.split("=", 1) for entry in raw.decode().split("\0") if "=" in entry)

    def trace(self):
        path = self.dir / "trace"
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def status(self):
        rows = self.cli("status").stdout.splitlines()[1:]
        return {r.split()[0]: r.split() for r in rows if not r.startswith("(")}

    def wait_for(self, condition, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        self.fail(f"not within {seconds} s")

    def test_start_order_readiness_instances_and_secrets(self):
        self.up(B_INSTANCES="2")
        events = self.trace()
        a_ready = next(float(t) for what, name, t in events if (what, name) == ("ready", "a"))
        b_start = next(float(t) for what, name, t in events if (what, name) == ("start", "b"))
        self.assertGreater(b_start, a_ready, "b started before a was ready")
        self.assertEqual((self.dir / "once").read_text(), "ran\n")
        self.assertEqual(self.environment("b-2")["WHERE"], f"instance 2 on {self.ports['b-2']}")
        self.assertEqual(self.environment("a")["PEERS"], f"127.0.0.1:{self.ports['b']},127.0.0.1:{self.ports['b-2']}")
        self.assertEqual(self.environment("a")["FAKE_TRACE"], str(self.dir / "trace"))
        # Each secret reaches only the process that names it, made once in its file.
        self.assertEqual(self.environment("a")["ONLY_A"], (self.dir / "only-a").read_text().strip())
        self.assertNotIn("ONLY_B", self.environment("a"))
        self.assertNotIn("ONLY_A", self.environment("b-2"))
        self.assertEqual(oct((self.dir / "only-a").stat().st_mode & 0o777), "0o600")
        self.assertNotIn("off", self.status())

    def test_a_secret_from_the_caller_wins_over_the_file(self):
        self.up(ONLY_A="from-the-caller")
        self.assertEqual(self.environment("a")["ONLY_A"], "from-the-caller")

    def test_a_crashed_process_is_restarted_with_backoff_and_the_restart_shows(self):
        self.up()
        first = self.pid("b")
        os.kill(first, signal.SIGKILL)
        self.wait_for(lambda: self.status()["b"][4:6] == ["restarting", "in"])
        self.wait_for(lambda: (self.state / "b.pid").exists() and self.pid("b") != first and self.status()["b"][4] == "running")
        self.assertEqual(self.status()["b"][3], "1")
        self.assertIn("exited (signal 9)", (self.dir / "logs" / "b.log").read_text())
        self.assertIn("b: restarted (restart 1", (self.state / "supervisor.log").read_text())
        # A second crash soon after waits longer.
        second = self.pid("b")
        os.kill(second, signal.SIGKILL)
        self.wait_for(lambda: "restarting in 0.4 s" in (self.state / "supervisor.log").read_text())
        self.wait_for(lambda: self.status()["b"][3] == "2", seconds=15)

    def test_a_running_stack_is_brought_in_line_with_a_new_table(self):
        self.up(B_INSTANCES="2")
        a, b = self.pid("a"), self.pid("b")
        self.up(B_INSTANCES="1")
        self.assertFalse((self.state / "b-2.pid").exists())
        self.assertEqual(self.pid("b"), b, "an unchanged process keeps running")
        self.assertNotEqual(self.pid("a"), a, "a's own environment (PEERS) changed: restarted")
        self.assertEqual(self.environment("a")["PEERS"], f"127.0.0.1:{self.ports['b']}")
        self.assertEqual((self.dir / "once").read_text(), "ran\n", "a oneshot runs once")
        # `restart` restarts what it names, with the caller's environment.
        a = self.pid("a")
        done = self.cli("restart", "b", env=dict(self.env, B_INSTANCES="1", NEW_SETTING="1"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotEqual(self.pid("b"), b)
        self.assertEqual(self.environment("b")["NEW_SETTING"], "1")
        self.assertEqual(self.pid("a"), a)

    def test_down_stops_in_reverse_start_order(self):
        self.up()
        self.assertEqual(self.cli("down").returncode, 0)
        stops = [name for what, name, _ in self.trace() if what == "stop"]
        self.assertEqual(stops, ["b", "a"])
        self.assertEqual(sorted(p.name for p in self.state.glob("*.pid")), [])
        self.assertIn("stopped", self.status()["a"])

    def test_down_stops_what_a_killed_supervisor_left_running(self):
        self.up()
        a = self.pid("a")
        os.kill(int((self.state / "supervisor.pid").read_text()), signal.SIGKILL)
        self.assertEqual(self.cli("down").returncode, 0)
        self.wait_for(lambda: not pathlib.Path(f"/proc/{a}").exists() or "Z" in pathlib.Path(f"/proc/{a}/stat").read_text().split(")")[1][:3])

    def test_a_process_that_cannot_start_fails_up_with_its_log(self):
        (self.dir / "stack.toml").write_text(TABLE.replace('command = ["false"]', 'command = ["sh", "-c", "echo broken; exit 3"]'))
        done = self.cli("up", str(self.dir / "stack.toml"), env=dict(self.env, OFF="1"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("off exited with 3 during start-up", done.stderr)
        self.assertIn("broken", done.stderr)


if __name__ == "__main__":
    unittest.main()
