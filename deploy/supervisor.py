"""A small process supervisor for the local stack, driven by a declarative table (deploy/stack.toml).

    supervisor.py up STATE_DIR TABLE [--only NAME,...]   start or update the stack, wait until ready
    supervisor.py restart STATE_DIR NAME...              restart processes with the caller's environment
    supervisor.py down STATE_DIR                         stop everything, in reverse start order
    supervisor.py status STATE_DIR                       name, pid, port, restarts and health
    supervisor.py logs STATE_DIR [NAME]                  follow the logs (tail -F)

`up` starts a daemon (`serve`) the first time and hands it the table and the caller's environment;
later calls hand it the new ones (SIGHUP): it starts what is missing, restarts what changed (its
command, its own environment, its executable or a watched file is newer) or reloads it
(`reload_signal`), and stops what the table no longer names. The daemon starts the table's
processes in order (`after`), waits for each one's readiness check, runs `instances` copies of a
process on consecutive ports, gives each process only the secrets it names, appends its output to
its log, writes STATE_DIR/<name>.pid, and restarts a process that exits with a growing backoff
(1 s, doubling up to 30 s; back to 1 s after a minute up), noting each restart in the process's log
and its own (STATE_DIR/supervisor.log) and counting it in `status`. Python 3.11, standard library.
"""
import json
import os
import re
import secrets as token_source
import shlex
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field

# The first restart's wait (SUPERVISOR_BACKOFF_FIRST, for tests), doubling up to a cap; a process
# that ran a minute starts again from the first.
BACKOFF_FIRST = float(os.environ.get("SUPERVISOR_BACKOFF_FIRST", "1"))
BACKOFF_MAX, STABLE_AFTER = 30.0, 60.0
TICK = 0.1


def say(message):
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# The table: ${NAME} and ${NAME:-default} from the environment (innermost first, so defaults may
# hold references), ${PORT}, ${NAME} and ${INSTANCE} for the process at hand, ${proc.addresses}
# for every instance of another.

REFERENCE = re.compile(r"\$\{([\w.]+)(?::-([^${}]*))?\}")


def expand(text, variables):
    def value(match):
        name, default = match.group(1), match.group(2)
        found = variables.get(name)
        if found not in (None, "") or (found == "" and default is None):
            return found
        if default is None:
            raise KeyError(f"${{{name}}} is not set")
        return default

    while True:
        expanded = REFERENCE.sub(value, text)
        if expanded == text:
            return expanded
        text = expanded


@dataclass
class Spec:
    name: str
    command: list
    environment: dict
    secrets: list
    log: str
    port: int | None = None
    ready: dict = field(default_factory=dict)
    ready_timeout: float = 60
    after: list = field(default_factory=list)
    cwd: str | None = None
    user: str | None = None
    oneshot: bool = False
    stop_signal: str = "TERM"
    stop_timeout: float = 15
    reload_signal: str | None = None
    setup: list = field(default_factory=list)
    watch: list = field(default_factory=list)
    extra_logs: list = field(default_factory=list)
    service: str = ""

    def fingerprint(self):
        """What a change of restarts (or reloads) the process."""
        files = [self.command[0]] + self.watch
        times = [os.stat(f).st_mtime if os.path.exists(f) else 0 for f in files]
        return json.dumps([self.command, self.environment, self.secrets, self.cwd, self.user, self.setup, times])


def load_table(path, environment, only=None):
    """The table's processes, each instance its own Spec, in start order; and the secrets."""
    with open(path, "rb") as f:
        table = tomllib.load(f)
    variables = dict(environment)
    variables.update({k: expand(str(v), variables) for k, v in table.get("variables", {}).items()})
    every = table.get("process", [])
    entries = [e for e in every if (not only or e["name"] in only)
               and expand(str(e.get("when", "1")), variables) not in ("", "0")]
    # First every instance's port, so any process may name another's addresses (even one left out,
    # as far as its port is known).
    instances = {}
    for entry in every:
        try:
            count = int(expand(str(entry.get("instances", 1)), variables))
            base = int(expand(str(entry["port"]), variables)) if "port" in entry else None
        except KeyError:
            if entry in entries:
                raise
            continue
        names = [entry["name"] if n == 1 else f"{entry['name']}-{n}" for n in range(1, count + 1)]
        ports = []
        for n in range(1, count + 1):
            override = variables.get(f"DEV_{entry['name'].upper().replace('-', '_')}_PORT_{n}") if n > 1 else None
            ports.append(int(override) if override else (base + 100 * (n - 1) if base else None))
        instances[entry["name"]] = list(zip(names, ports))
        variables[f"{entry['name']}.addresses"] = ",".join(f"127.0.0.1:{p}" for _, p in instances[entry["name"]] if p)
    shared = table.get("environments", {})
    specs = []
    for entry in start_order(entries):
        for number, (name, port) in enumerate(instances[entry["name"]], 1):
            local = dict(variables, NAME=name, INSTANCE=str(number), PORT=str(port or ""))
            ex = lambda value: expand(str(value), local)  # noqa: E731
            specs.append(Spec(
                name=name, service=entry["name"], port=port,
                command=[ex(a) for a in entry["command"]],
                environment={k: ex(v) for k, v in merged(shared, entry).items()},
                secrets=list(entry.get("secrets", [])),
                log=ex(entry.get("log", "${LOGS}/${NAME}.log")),
                extra_logs=[ex(f) for f in entry.get("extra_logs", [])],
                ready={k: ex(v) if isinstance(v, str) else [ex(a) for a in v] for k, v in entry.get("ready", {}).items()},
                ready_timeout=float(entry.get("ready_timeout", 60)),
                after=list(entry.get("after", [])),
                cwd=ex(entry["cwd"]) if "cwd" in entry else None,
                user=ex(entry["user"]) if entry.get("user") else None,
                oneshot=bool(entry.get("oneshot", False)),
                stop_signal=entry.get("stop_signal", "TERM"),
                stop_timeout=float(entry.get("stop_timeout", 15)),
                reload_signal=entry.get("reload_signal"),
                setup=[[ex(a) for a in step] for step in entry.get("setup", [])],
                watch=[ex(w) for w in entry.get("watch", [])],
            ))
    secret_files = {k: expand(v, variables) for k, v in table.get("secrets", {}).items()}
    return specs, secret_files


def merged(shared, entry):
    """A process's environment: the shared sets it names (`environments`), then its own."""
    environment = {}
    for name in entry.get("environments", []):
        environment.update(shared[name])
    environment.update(entry.get("environment", {}))
    return environment


def start_order(entries):
    """The entries with each after everything in its `after`, otherwise in table order."""
    names = {e["name"] for e in entries}
    done, ordered, pending = set(), [], list(entries)
    while pending:
        for entry in pending:
            if all(a in done or a not in names for a in entry.get("after", [])):
                ordered.append(entry)
                done.add(entry["name"])
                pending.remove(entry)
                break
        else:
            raise ValueError(f"a cycle in `after` among {[e['name'] for e in pending]}")
    return ordered


def read_secrets(files, environment):
    """{NAME: value}: the caller's value when it set one, else the file's, made once (0600)."""
    values = {}
    for name, path in files.items():
        if environment.get(name):
            values[name] = environment[name]
            continue
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            old = os.umask(0o077)
            try:
                with open(path, "w") as f:
                    f.write(token_source.token_urlsafe(32) + "\n")
            finally:
                os.umask(old)
        with open(path) as f:
            values[name] = f.read().strip()
    return values


# ---------------------------------------------------------------------------------------------
# Readiness

def is_ready(check, timeout=2.0):
    try:
        if "http" in check:
            with urllib.request.urlopen(check["http"], timeout=timeout) as response:
                return response.status == 200
        if "tcp" in check:
            with socket.create_connection(("127.0.0.1", int(check["tcp"])), timeout=timeout):
                return True
        if "command" in check:
            return subprocess.run(check["command"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  timeout=timeout + 3).returncode == 0
    except (OSError, urllib.error.URLError, subprocess.TimeoutExpired, ValueError):
        return False
    return True


def port_taken(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The daemon

@dataclass
class Process:
    spec: Spec
    popen: subprocess.Popen | None = None
    state: str = "stopped"  # starting, running, backoff, done, failed, stopped
    restarts: int = 0
    failures_in_a_row: int = 0
    started_at: float = 0
    next_start: float = 0
    last_exit: str = ""
    fingerprint: str = ""


class Supervisor:
    def __init__(self, state_dir):
        self.dir = state_dir
        self.processes = {}  # name -> Process, in start order
        self.generation = 0
        self.message = ""
        self.phase = "starting"
        self.environment = {}
        self.secrets = {}
        self.signals = []
        self.written = ""

    # -- files ------------------------------------------------------------------------------

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_state(self):
        rows = [{"name": p.spec.name, "service": p.spec.service, "pid": p.popen.pid if p.popen and p.popen.poll() is None else None,
                 "command": p.spec.command, "port": p.spec.port, "oneshot": p.spec.oneshot, "state": p.state, "restarts": p.restarts, "last_exit": p.last_exit,
                 "log": p.spec.log, "extra_logs": p.spec.extra_logs, "ready": p.spec.ready, "next_start": p.next_start}
                for p in self.processes.values()]
        state = {"pid": os.getpid(), "generation": self.generation, "phase": self.phase, "message": self.message,
                 "processes": rows}
        text = json.dumps(state, indent=1)
        if text == self.written:
            return
        temporary = self.path("supervisor.state.tmp")
        with open(temporary, "w") as f:
            f.write(text)
        os.replace(temporary, self.path("supervisor.state"))
        self.written = text

    def read_request(self):
        with open(self.path("supervisor.request")) as f:
            return json.load(f)

    # -- one process ------------------------------------------------------------------------

    def environment_of(self, spec):
        env = {k: v for k, v in self.environment.items() if k not in self.secrets}
        env.update(spec.environment)
        for name in spec.secrets:
            env[name] = self.secrets[name]
        return env

    def note(self, process, line):
        """A line in the supervisor's log and in the process's own."""
        say(f"{process.spec.name}: {line}")
        try:
            with open(process.spec.log, "a") as log:
                log.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {line}\n")
        except OSError:
            pass

    def spawn(self, process):
        spec = process.spec
        os.makedirs(os.path.dirname(spec.log), exist_ok=True)
        env = self.environment_of(spec)
        self.run_setup(spec)
        if spec.port and not spec.oneshot and port_taken(spec.port):
            raise RuntimeError(f"port {spec.port} (for {spec.name}) is taken by a process this stack did not start")
        log = open(spec.log, "a")
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')}  {shlex.join(spec.command)}\n")
        log.flush()
        user = {"user": spec.user, "group": spec.user, "extra_groups": []} if spec.user and os.getuid() == 0 else {}
        try:
            process.popen = subprocess.Popen(spec.command, env=env, cwd=spec.cwd or ("/" if user else None), stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **user)
        except OSError as error:
            raise RuntimeError(f"{spec.name}: cannot run {spec.command[0]}: {error}")
        finally:
            log.close()
        process.state = "starting"
        process.started_at = time.monotonic()
        process.fingerprint = spec.fingerprint()
        if not spec.oneshot:
            with open(self.path(f"{spec.name}.pid"), "w") as f:
                f.write(f"{process.popen.pid}\n")

    def run_setup(self, spec):
        for step in spec.setup:
            done = subprocess.run(step, env=self.environment_of(spec), cwd=spec.cwd, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{spec.name}: `{shlex.join(step)}` failed: {(done.stderr or done.stdout).strip()[-2000:]}")

    def stop(self, process):
        if process.popen and process.popen.poll() is None:
            say(f"{process.spec.name}: stopping (pid {process.popen.pid})")
            try:
                os.kill(process.popen.pid, getattr(signal, f"SIG{process.spec.stop_signal}"))
                process.popen.wait(process.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                say(f"{process.spec.name}: still running after {process.spec.stop_timeout:.0f} s; SIGKILL")
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
            except ProcessLookupError:
                pass
        # Whatever it left in its process group (a shell's children) goes with it.
        if process.popen:
            try:
                os.killpg(process.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        process.state = "stopped"
        try:
            os.unlink(self.path(f"{process.spec.name}.pid"))
        except FileNotFoundError:
            pass

    def wait_ready(self, process):
        """Blocks until the process is ready, or raises with the reason."""
        spec = process.spec
        deadline = time.monotonic() + spec.ready_timeout
        while True:
            code = process.popen.poll()
            if spec.oneshot and code == 0:
                process.state = "done"
                return
            if code is not None:
                process.state = "failed"
                raise RuntimeError(f"{spec.name} exited with {code} during start-up (log: {spec.log})")
            # Without a check, a process that still runs after a second has started.
            settled = is_ready(spec.ready) if spec.ready else time.monotonic() - process.started_at > 1
            if not spec.oneshot and settled:
                process.state = "running"
                return
            if "TERM" in self.signals:
                raise RuntimeError(f"stopped while {spec.name} was starting")
            if time.monotonic() > deadline:
                process.state = "failed"
                raise RuntimeError(f"{spec.name} did not become ready in {spec.ready_timeout:.0f} s (log: {spec.log})")
            time.sleep(TICK)

    # -- the whole table --------------------------------------------------------------------

    def apply(self, request):
        """Brings the running processes in line with the request's table and environment."""
        self.environment = request["environment"]
        specs, secret_files = load_table(request["table"], self.environment, request.get("only"))
        self.secrets = read_secrets(secret_files, self.environment)
        restart = set(request.get("restart", []))
        wanted = {s.name for s in specs}
        for name in [n for n in reversed(list(self.processes)) if n not in wanted]:
            self.stop(self.processes.pop(name))
        previous = self.processes
        self.processes = {s.name: previous.get(s.name) or Process(s) for s in specs}
        for spec in specs:
            process = self.processes[spec.name]
            asked = spec.service in restart or spec.name in restart
            alive = process.popen is not None and process.popen.poll() is None
            if alive:
                self.run_setup(spec)  # a rendered file it watches may change
            changed = bool(process.fingerprint) and process.fingerprint != spec.fingerprint()
            process.spec = spec
            if spec.oneshot and process.state == "done" and not changed and not asked:
                continue
            if alive and changed and spec.reload_signal and not asked:
                process.fingerprint = spec.fingerprint()
                say(f"{spec.name}: changed; reloading (SIG{spec.reload_signal})")
                os.kill(process.popen.pid, getattr(signal, f"SIG{spec.reload_signal}"))
                continue
            if alive and (changed or asked):
                say(f"{spec.name}: {'changed' if changed else 'restart asked for'}; restarting")
                self.stop(process)
                alive = False
            if not alive:
                say(f"{spec.name}: starting" + (f" on 127.0.0.1:{spec.port}" if spec.port else ""))
                self.spawn(process)
                self.wait_ready(process)
                process.failures_in_a_row = 0

    def watch(self):
        """One look at every process: restart the ones that exited, after their backoff."""
        now = time.monotonic()
        for process in self.processes.values():
            if process.state in ("starting", "running") and process.popen.poll() is not None:
                code = process.popen.returncode
                if process.spec.oneshot and code == 0:
                    process.state = "done"
                    continue
                up_for = now - process.started_at
                process.failures_in_a_row = 1 if up_for > STABLE_AFTER else process.failures_in_a_row + 1
                delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (process.failures_in_a_row - 1))
                process.last_exit = f"signal {-code}" if code < 0 else f"exit {code}"
                process.state = "backoff"
                process.next_start = time.time() + delay
                self.note(process, f"exited ({process.last_exit}) after {up_for:.1f} s; restarting in {delay:g} s")
            elif process.state == "backoff" and time.time() >= process.next_start:
                process.restarts += 1
                try:
                    self.spawn(process)
                    self.note(process, f"restarted (restart {process.restarts}, pid {process.popen.pid})")
                except RuntimeError as error:
                    self.note(process, f"restart failed: {error}")
                    process.state = "backoff"
                    process.next_start = time.time() + BACKOFF_MAX
            elif process.state == "starting" and not process.spec.oneshot and (
                    is_ready(process.spec.ready, timeout=0.5) if process.spec.ready else now - process.started_at > 1):
                process.state = "running"

    def stop_all(self):
        for process in reversed(list(self.processes.values())):
            self.stop(process)

    def serve(self):
        signals = self.signals
        signal.signal(signal.SIGHUP, lambda *_: signals.append("HUP"))
        signal.signal(signal.SIGTERM, lambda *_: signals.append("TERM"))
        signal.signal(signal.SIGINT, lambda *_: signals.append("TERM"))
        with open(self.path("supervisor.pid"), "w") as f:
            f.write(f"{os.getpid()}\n")
        signals.append("HUP")  # the first request
        try:
            while True:
                while signals:
                    if "TERM" in signals:
                        self.phase = "stopping"
                        self.write_state()
                        say("stopping everything")
                        return
                    signals.pop(0)
                    request = self.read_request()
                    self.phase, self.message = "starting", ""
                    self.write_state()
                    try:
                        self.apply(request)
                        self.phase = "ready"
                    except (RuntimeError, KeyError, ValueError, OSError, subprocess.CalledProcessError) as error:
                        self.phase, self.message = "failed", str(error)
                        say(f"failed: {error}")
                    self.generation = request["generation"]
                    self.write_state()
                self.watch()
                self.write_state()
                time.sleep(TICK)
        finally:
            self.stop_all()
            self.phase = "stopped"
            self.write_state()
            os.unlink(self.path("supervisor.pid"))


# ---------------------------------------------------------------------------------------------
# The client side: the commands deploy/dev runs

def daemon_pid(state_dir):
    try:
        with open(os.path.join(state_dir, "supervisor.pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"supervisor.py" not in f.read():
                return None
        return pid
    except (OSError, ValueError):
        return None


def read_state(state_dir):
    try:
        with open(os.path.join(state_dir, "supervisor.state")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def send(state_dir, table, environment, only=None, restart=()):
    """Hands the daemon a table and an environment (starting it if needed); waits for the outcome."""
    os.makedirs(state_dir, exist_ok=True)
    state = read_state(state_dir) or {}
    generation = state.get("generation", 0) + 1
    request = {"generation": generation, "table": os.path.abspath(table), "environment": environment,
               "only": only, "restart": list(restart)}
    temporary = os.path.join(state_dir, "supervisor.request.tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(request, f)
    os.replace(temporary, os.path.join(state_dir, "supervisor.request"))
    pid = daemon_pid(state_dir)
    log = os.path.join(state_dir, "supervisor.log")
    if pid:
        os.kill(pid, signal.SIGHUP)
    else:
        with open(log, "a") as out:
            daemon = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", state_dir], stdin=subprocess.DEVNULL,
                                      stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=environment)
        pid = daemon.pid
    while True:
        state = read_state(state_dir) or {}
        if state.get("generation", 0) >= generation and state.get("phase") in ("ready", "failed"):
            break
        if not daemon_alive(pid):
            state = {"phase": "failed", "message": f"the supervisor exited (log: {log})"}
            break
        time.sleep(0.2)
    if state["phase"] == "failed":
        print(f"error: {state['message']}", file=sys.stderr)
        for row in state.get("processes", []):
            if row["state"] == "failed":
                show_last_run(row["log"])
        return 1
    return 0


def daemon_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def show_last_run(log, lines=40):
    """The end of a log's latest run (each start is marked with a `=== ` line)."""
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        return
    starts = [m.start() for m in re.finditer(r"^=== .*  ", text, re.M)]
    last = text[starts[-1]:] if starts else text
    print("\n".join(last.splitlines()[-lines:]), file=sys.stderr)


def down(state_dir):
    pid = daemon_pid(state_dir)
    if pid:
        os.kill(pid, signal.SIGTERM)
        while daemon_alive(pid):
            time.sleep(0.1)
        return 0
    # No supervisor (it was killed): what it had started may still run.
    for row in reversed((read_state(state_dir) or {}).get("processes", [])):
        if row["pid"] and orphan(row):
            print(f"stopping {row['name']} (pid {row['pid']}), left without its supervisor", file=sys.stderr)
            os.killpg(row["pid"], signal.SIGTERM)
            deadline = time.monotonic() + 15
            while daemon_alive(row["pid"]) and time.monotonic() < deadline:
                time.sleep(0.1)
            if daemon_alive(row["pid"]):
                os.killpg(row["pid"], signal.SIGKILL)
    return 0


def orphan(row):
    """Whether the row's pid still runs its command (and is not a reused pid). nginx and Redis
    rewrite their command lines, keeping the program's name."""
    try:
        with open(f"/proc/{row['pid']}/cmdline", "rb") as f:
            return os.path.basename(row["command"][0]).encode() in f.read() and daemon_alive(row["pid"])
    except (OSError, KeyError):
        return False


def status(state_dir, out=sys.stdout):
    state = read_state(state_dir)
    running = daemon_pid(state_dir) is not None
    print(f"{'NAME':<10} {'PID':<8} {'PORT':<6} {'RESTARTS':<9} STATE", file=out)
    for row in (state or {}).get("processes", []):
        if row["oneshot"] and row["state"] != "failed":
            continue
        pid = row["pid"] if running and row["pid"] else "-"
        if not running or row["state"] == "stopped":
            text = "stopped"
        elif row["state"] == "backoff":
            text = f"restarting in {max(0, row['next_start'] - time.time()):.1f} s ({row['last_exit']})"
        elif row["state"] == "failed":
            text = "failed"
        else:
            text = "running + healthy" if is_ready(row["ready"]) else "running"
            if row["restarts"]:
                text += f" (last exit: {row['last_exit']})"
        print(f"{row['name']:<10} {pid!s:<8} {row['port'] or '-'!s:<6} {row['restarts']:<9} {text}", file=out)
    if not running:
        print("(the stack is down)", file=out)
    return 0


def logs(state_dir, name=None):
    state = read_state(state_dir) or {}
    rows = [r for r in state.get("processes", []) if not r["oneshot"]]
    names = [r["name"] for r in rows]
    if name and name not in names and name != "supervisor":
        print(f"error: unknown component '{name}' (one of: {' '.join(names)} supervisor)", file=sys.stderr)
        return 1
    files = [f for r in rows if not name or r["name"] == name for f in [r["log"], *r.get("extra_logs", [])]]
    if not name or name == "supervisor":
        files.append(os.path.join(state_dir, "supervisor.log"))
    files = [f for f in files if os.path.exists(f)]
    if not files:
        print("error: no logs yet; run 'deploy/dev up' first", file=sys.stderr)
        return 1
    os.execvp("tail", ["tail", "-n", "100", "-F", *files])


def main(argv):
    if len(argv) < 2 or argv[0] not in ("up", "restart", "down", "status", "logs", "serve"):
        print(__doc__, file=sys.stderr)
        return 2
    command, state_dir, rest = argv[0], os.path.abspath(argv[1]), argv[2:]
    if command == "serve":
        Supervisor(state_dir).serve()
        return 0
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `deploy/dev status | head`
    if command == "up":
        only = rest[rest.index("--only") + 1].split(",") if "--only" in rest else None
        return send(state_dir, rest[0], dict(os.environ), only=only)
    if command == "restart":
        previous = read_state(state_dir)
        if not daemon_pid(state_dir) or not previous:
            print("error: the stack is not running", file=sys.stderr)
            return 1
        with open(os.path.join(state_dir, "supervisor.request")) as f:
            last = json.load(f)
        return send(state_dir, last["table"], dict(os.environ), only=last.get("only"), restart=rest)
    if command == "down":
        return down(state_dir)
    if command == "status":
        return status(state_dir)
    return logs(state_dir, rest[0] if rest else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
