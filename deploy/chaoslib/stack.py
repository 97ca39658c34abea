"""The platform spread over hosts: Postgres, Redis, the SMTP sink, the LLM stub, nginx and each
service instance on a host (network namespace) of its own, on 10.77.0.0/24.

    .2  nginx (the only trusted proxy)      .10 Postgres (a floating address)   .11 redis   .12 smtp   .13 llm
    .15 postgres (the primary)   .14 postgres2 (its synchronous streaming standby)
    .21 auth   .22 content   .23 gpt   .24 workers   .31-.33 the second auth, content and gpt
    .100 the client (workload, checker)   .101 the load generator (the spike)

Everyone reaches Postgres at 10.77.0.10, an address held by whichever server is the primary (as
keepalived or vip-manager hold one): postgres-nio connects to one host, so a failover moves the
address, not the services' DATABASE_URL.

The Workers send mail through a relay on their own host's loopback (127.0.0.1:1025 -> smtp:25):
the Workers refuse plain SMTP to another machine, as they should, and the sink speaks no TLS.
"""
import os
import secrets
import signal
import subprocess
import sys

from .hosts import SUBNET, Network, Process, http_ok, poll, run, tcp_ok

DEPLOY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(DEPLOY)

HOSTS = {"nginx": 2, "postgres": 15, "postgres2": 14, "redis": 11, "smtp": 12, "llm": 13,
         "auth": 21, "content": 22, "gpt": 23, "workers": 24,
         "auth2": 31, "content2": 32, "gpt2": 33, "client": 100, "loadgen": 101}
# Postgres as the services see it: the address of whichever server is the primary.
DATABASE_ADDRESS = f"{SUBNET}.10"
STANDBY = "postgres2"  # its application_name too, as synchronous_standby_names names it
# Two instances of each HTTP service behind nginx (instance 2 on host NAME2), one Workers process.
SERVICES = ["workers", "auth", "auth2", "content", "content2", "gpt", "gpt2"]
PORTS = {"postgres": 5432, "redis": 6379, "smtp": 25, "llm": 8089, "nginx": 80,
         "auth": 8081, "content": 8082, "gpt": 8083, "workers": 8084}
BINARIES = {"auth": ["AuthService"], "content": ["ContentService"], "gpt": ["GPTService"], "workers": ["Workers", "run"]}
SECRETS = {"auth": ["SIGNING_KEY_SECRET", "MAIL_LINK_SECRET"], "content": ["CONTENT_CURSOR_SECRET"],
           "gpt": ["GPT_ADDRESS_SECRET"], "workers": ["MAIL_LINK_SECRET"]}

# Settings that make a few minutes tell: cheap hashes, short leases, limits that one client
# address does not reach, small uploads.
SERVICE_SETTINGS = {
    "LOG_LEVEL": "info",
    "BCRYPT_COST": "4",
    "SIGNUP_ADDRESS_LIMIT": "100000", "LOGIN_ADDRESS_LIMIT": "100000",
    "GPT_QUOTA_ANONYMOUS": "100000", "GPT_QUOTA_UNVERIFIED": "100000", "GPT_QUOTA_VERIFIED": "100000",
    "GPT_BURST_LIMIT": "100",
    "CONTENT_MAX_UPLOAD_BYTES": "20000000", "CONTENT_MEDIA_MIN_FREE_BYTES": "0",
    "WORKERS_LEASE_SECONDS": "6", "WORKERS_RESCUE_SECONDS": "2", "SMTP_TIMEOUT_SECONDS": "5",
    "WORKERS_SHUTDOWN_GRACE_SECONDS": "7",
    # Short deadlines for the hanging faults (llm-hang-mid-stream, ffmpeg-hang): 10 s for a whole
    # LLM answer (30 s by default), 10 s for a transcode of the suite's one-second clip.
    "GPT_UPSTREAM_TIMEOUT_MS": "10000", "WORKERS_TRANSCODE_TIMEOUT_SECONDS": "10",
}
MEDIA_BYTES = 200 << 20  # the media volume: a tmpfs of its own, so media-full can fill it
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
# The Workers' ffmpeg: /usr/bin/ffmpeg (MediaTools, a fixed path) is, in the Workers' own mount
# namespace, this script, which runs the real one unless the flag file exists; then a transcode
# (the run with -progress) hangs, as a stuck ffmpeg does (ffmpeg-hang).
FFMPEG_WRAPPER = """#!/bin/sh
if [ -e {flag} ]; then
  case " $* " in *" -progress "*) exec sleep 3600 ;; esac
fi
exec {real} "$@"
"""


def pg_bin():
    found = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql"))
                   if os.path.isdir(d))
    return os.environ.get("PG_BIN") or found[-1]


class Stack:
    def __init__(self, folder, prefix, bin_dir):
        self.dir, self.bin_dir = folder, bin_dir
        self.net = Network(prefix)
        self.procs = {}
        self.logs = os.path.join(folder, "logs")
        self.pg_bin = pg_bin()
        self.primary = "postgres"  # the host that holds DATABASE_ADDRESS
        self.sockets = {}  # Postgres host -> its Unix socket directory
        self.secrets = {name: secrets.token_urlsafe(32) for name in
                        ("SIGNING_KEY_SECRET", "MAIL_LINK_SECRET", "CONTENT_CURSOR_SECRET", "GPT_ADDRESS_SECRET")}
        self.media = os.path.join(folder, "media")
        self.ffmpeg_hang = os.path.join(folder, "ffmpeg-hang")  # the flag: transcodes hang while it exists
        # The Content instances reach Postgres through a delay line on their own host (port 5433,
        # the delay in this file) when a scenario needs it (postgres-latency).
        self.pg_relay = False
        self.pg_delay = os.path.join(folder, "pg-delay-ms")

    # Addresses -------------------------------------------------------------------------------

    def addr(self, host):
        return self.net.address(host)

    @property
    def url(self):
        return f"http://{self.addr('nginx')}"

    @property
    def database_url(self):
        return f"postgres://app:app@{DATABASE_ADDRESS}:{PORTS['postgres']}/app"

    @property
    def maildir(self):
        return os.path.join(self.dir, "mail")

    # Bringing it up --------------------------------------------------------------------------

    def up(self, say):
        os.makedirs(self.logs, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.net.up()
        for host, octet in HOSTS.items():
            self.net.add_host(host, octet)
        say(f"network: {len(HOSTS)} hosts on 10.77.0.0/24 behind a bridge in {self.net.switch}")
        self.net.enter("client")
        os.makedirs(self.media)
        run("mount", "-t", "tmpfs", "-o", f"size={MEDIA_BYTES},mode=0755", "chaos-media", self.media)
        self._postgres()
        self._standby()
        self._simple_hosts()
        for name in SERVICES:
            self._service(name)
            self.start(name)
        self._nginx()
        self.start("nginx")
        say(f"stack up: nginx at {self.url}, Postgres at {DATABASE_ADDRESS} (the primary {self.addr('postgres')}, "
            f"its synchronous standby {self.addr(STANDBY)})")

    def _add(self, name, host, argv, env=None, user=None, cwd=None, ready=None):
        process = Process(name, self.net.hosts[host][0], argv, env, os.path.join(self.logs, f"{name}.log"), user, cwd)
        process.ready = ready
        self.procs[name] = process
        return process

    def start(self, name, timeout=90):
        process = self.procs[name]
        process.start()
        poll(f"{name} ready", lambda: self._ready(process), timeout)

    def _ready(self, process):
        if not process.alive():
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode} (log: {process.log})")
        return process.ready()

    def _postgres(self):
        data, sock = os.path.join(self.dir, "pg"), os.path.join(self.dir, "pgsock")
        os.makedirs(sock)
        os.makedirs(data)
        subprocess.run(["chown", "postgres:", data, sock], check=True)
        run("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", f"{self.pg_bin}/initdb", "-D", data,
            "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            # Every address of its host: its own, and the floating one while it is the primary.
            f.write(f"\n# deploy/chaos: its own host\nlisten_addresses = '*'\nport = {PORTS['postgres']}\n"
                    f"unix_socket_directories = '{sock}'\nmax_connections = 200\nshared_preload_libraries = 'pg_stat_statements'\n"
                    # The OS never crashes in this suite; commits stay synchronous, so a killed
                    # Postgres keeps every acknowledged commit.
                    "fsync = off\nfull_page_writes = off\n"
                    # A standby that lost its primary (restarted) asks again after a second:
                    # until it is back, commits wait for it.
                    "wal_retrieve_retry_interval = 1s\n")
        with open(os.path.join(data, "pg_hba.conf"), "a") as f:
            f.write("host all all 10.77.0.0/24 scram-sha-256\nhost replication replicator 10.77.0.0/24 scram-sha-256\n")
        self.sockets["postgres"] = sock
        self._add("postgres", "postgres", [f"{self.pg_bin}/postgres", "-D", data], user="postgres",
                  ready=self._pg_ready("postgres"))
        self.start("postgres")
        run(os.path.join(DEPLOY, "postgres", "bootstrap"), self.pg_bin, sock, str(PORTS["postgres"]))
        self.pg_admin("postgres", "CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator'")
        self.net.add_address("postgres", DATABASE_ADDRESS)

    def _pg_ready(self, host):
        return lambda: run(f"{self.pg_bin}/pg_isready", "-q", "-h", self.addr(host), "-p", str(PORTS["postgres"]),
                           check=False).returncode == 0

    def _standby(self):
        """The primary's streaming standby on a host of its own, made with `pg_basebackup -R`, then
        named in the primary's synchronous_standby_names: a commit is acknowledged once the standby
        has it too (synchronous_commit on: flushed there)."""
        data, sock = os.path.join(self.dir, "pg2"), os.path.join(self.dir, "pgsock2")
        os.makedirs(sock)
        os.makedirs(data, mode=0o700)
        subprocess.run(["chown", "postgres:", data, sock], check=True)
        conninfo = (f"host={self.addr('postgres')} port={PORTS['postgres']} user=replicator password=replicator "
                    f"application_name={STANDBY}")
        run("ip", "netns", "exec", self.net.hosts[STANDBY][0], "setpriv", "--reuid=postgres", "--regid=postgres",
            "--init-groups", f"{self.pg_bin}/pg_basebackup", "-d", conninfo, "-D", data, "-R", "-X", "stream",
            "--checkpoint=fast", "--no-sync")
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write(f"\n# deploy/chaos: the standby\nunix_socket_directories = '{sock}'\ncluster_name = '{STANDBY}'\n")
        self.sockets[STANDBY] = sock
        self._add(STANDBY, STANDBY, [f"{self.pg_bin}/postgres", "-D", data], user="postgres", ready=self._pg_ready(STANDBY))
        self.start(STANDBY)
        self.pg_admin("postgres", f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY}'", "SELECT pg_reload_conf()")
        self.wait_synchronous()

    def pg_admin(self, host, *statements):
        """Statements as the superuser, on a Postgres server's own socket (whatever its network)."""
        argv = [f"{self.pg_bin}/psql", "-h", self.sockets[host], "-p", str(PORTS["postgres"]), "-U", "postgres",
                "-d", "postgres", "-qtAX", "-v", "ON_ERROR_STOP=1"]
        for statement in statements:
            argv += ["-c", statement]
        return run(*argv).stdout.strip()

    def wait_synchronous(self, timeout=60):
        """Until the primary's standby streams and is its synchronous one."""
        poll("the synchronous standby", lambda: self.pg_admin(
            self.primary, f"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{STANDBY}'") == "sync",
             timeout)

    def fail_over(self, note):
        """The primary fenced, the standby promoted, the floating address moved to it and announced.
        The promoted server gets no synchronous standby (synchronous_standby_names empty, as
        Patroni does), or every commit would wait for a standby that is not there."""
        old, new = self.primary, STANDBY
        self.net.del_address(old, DATABASE_ADDRESS)
        self.procs["postgres"].stop(signal.SIGQUIT, timeout=10)
        note(f"{old} fenced: {DATABASE_ADDRESS} removed from it, Postgres stopped (SIGQUIT)")
        self.pg_admin(new, "ALTER SYSTEM SET synchronous_standby_names = ''", "SELECT pg_reload_conf()")
        promoted = self.pg_admin(new, "SELECT pg_promote(true, 30)")
        if promoted != "t":
            raise RuntimeError(f"pg_promote on {new} answered {promoted!r}")
        note(f"{new} promoted (pg_promote)")
        self.net.add_address(new, DATABASE_ADDRESS)
        how = self.net.announce(new, DATABASE_ADDRESS)
        note(f"{DATABASE_ADDRESS} moved to {new}; {how}")
        # The promoted server is the one the Postgres scenarios stop and start from now on.
        self.procs["postgres-fenced"], self.procs["postgres"] = self.procs["postgres"], self.procs[new]
        del self.procs[new]
        self.primary = new

    def _simple_hosts(self):
        python = sys.executable
        redis_dir = os.path.join(self.dir, "redis")
        os.makedirs(redis_dir)
        a = self.addr
        self._add("redis", "redis", ["redis-server", "--bind", a("redis"), "--port", "6379", "--dir", redis_dir,
                                     "--daemonize", "no", "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                                     "--protected-mode", "no", "--maxmemory", "256mb", "--maxmemory-policy", "volatile-lfu"],
                  ready=lambda: tcp_ok(a("redis"), 6379))
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub))
        self._add("smtp", "smtp", [python, "-m", "aiosmtpd", "-n", "-l", f"{a('smtp')}:25", "-c", "smtp_sink.Sink", self.maildir],
                  env={"PYTHONPATH": DEPLOY}, ready=lambda: tcp_ok(a("smtp"), 25))
        self._add("llm", "llm", [python, os.path.join(DEPLOY, "llm-stub.py"), "--host", a("llm"), "--port", "8089"],
                  ready=lambda: http_ok(f"http://{a('llm')}:8089/v1/models"))
        # The relay answers on the Workers' loopback, which the client cannot reach: its readiness
        # is the Workers' mail arriving.
        self._add("relay", "workers", [python, "-m", "chaoslib.relay", "127.0.0.1:1025", f"{a('smtp')}:25"],
                  env={"PYTHONPATH": DEPLOY}, ready=lambda: True)
        names = ["redis", "smtp", "llm", "relay"]
        if self.pg_relay:
            # A delay line on each Content host's loopback, to wherever the Postgres address points
            # (it follows a failover); its readiness is the instance's own.
            for relay, host in (("pgrelay", "content"), ("pgrelay2", "content2")):
                self._add(relay, host, [python, "-m", "chaoslib.relay", "127.0.0.1:5433", f"{DATABASE_ADDRESS}:{PORTS['postgres']}",
                                        self.pg_delay], env={"PYTHONPATH": DEPLOY}, ready=lambda: True)
                names.append(relay)
        for name in names:
            self.start(name)

    def _service(self, name):
        a = self.addr
        service = name.rstrip("2")
        env = {
            **SERVICE_SETTINGS,
            "HTTP_HOST": a(name), "HTTP_PORT": str(PORTS[service]),
            "TRUSTED_PROXIES": a("nginx"),
            "DATABASE_URL": f"postgres://{service}_svc:{service}_svc@"
                            f"{'127.0.0.1:5433' if self.pg_relay and service == 'content' else DATABASE_ADDRESS + ':5432'}/app",
            "REDIS_URL": f"redis://{a('redis')}:6379",
            "SMTP_URL": "smtp://127.0.0.1:1025",
            "MEDIA_DIR": self.media,
            "JWKS_URL": f"http://{a('nginx')}/api/auth/jwks.json",
            "OPENAI_BASE_URL": f"http://{a('llm')}:8089/v1",
            "PUBLIC_BASE_URL": self.url,
        }
        env.update({name: self.secrets[name] for name in SECRETS[service]})
        os.makedirs(env["MEDIA_DIR"], exist_ok=True)
        argv = [os.path.join(self.bin_dir, BINARIES[service][0])] + BINARIES[service][1:]
        if service == "workers":
            argv = self._ffmpeg_wrapped(argv)
        port = PORTS[service]
        return self._add(name, name, argv, env=env, cwd=REPO, ready=lambda: http_ok(f"http://{a(name)}:{port}/healthz"))

    def _ffmpeg_wrapped(self, argv):
        """`argv` in a mount namespace of its own in which /usr/bin/ffmpeg is FFMPEG_WRAPPER."""
        real, wrapper = os.path.join(self.dir, "ffmpeg.real"), os.path.join(self.dir, "ffmpeg")
        open(real, "w").close()
        with open(wrapper, "w") as f:
            f.write(FFMPEG_WRAPPER.format(flag=self.ffmpeg_hang, real=real))
        os.chmod(wrapper, 0o755)
        script = (f"mount --bind /usr/bin/ffmpeg {real} && mount --bind {wrapper} /usr/bin/ffmpeg && exec \"$@\"")
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + argv

    def restart(self, name, env=None, drop=()):
        """Stops one process (SIGTERM) and starts it again, with `env` added and `drop` removed."""
        process = self.procs[name]
        process.stop(signal.SIGTERM, timeout=30)
        for key in drop:
            process.env.pop(key, None)
        process.env.update(env or {})
        self.start(name)

    def _nginx(self):
        prefix = os.path.join(self.dir, "nginx")
        os.makedirs(os.path.join(prefix, "logs"))
        os.makedirs(os.path.join(prefix, "tmp"))
        conf = os.path.join(prefix, "nginx.conf")
        owner = subprocess.run(["stat", "-c", "%U %G", REPO], capture_output=True, text=True).stdout.strip()
        a = self.addr
        run(os.path.join(DEPLOY, "nginx-render"), "--output", conf, "dev", f"PREFIX={prefix}", f"LISTEN={a('nginx')}:80",
            f"MEDIA_DIR={self.media}", f"USER_DIRECTIVE=user {owner};",
            f"AUTH={a('auth')}:8081,{a('auth2')}:8081", f"CONTENT={a('content')}:8082,{a('content2')}:8082",
            f"GPT={a('gpt')}:8083,{a('gpt2')}:8083",
            # Every request comes from the client's or the load generator's address: nginx's
            # per-address limits are out of the way, as the services' are.
            "API_RATE=100000r/s", "API_BURST=100000", "GPT_RATE=100000r/s", "GPT_BURST=100000",
            "LOGIN_RATE=100000r/s", "LOGIN_BURST=100000")
        self._add("nginx", "nginx", ["nginx", "-p", prefix + "/", "-e", os.path.join(prefix, "logs", "error.log"), "-c", conf,
                                     "-g", "daemon off;"], ready=lambda: http_ok(f"http://{a('nginx')}/healthz"))

    # Taking it down --------------------------------------------------------------------------

    def down(self):
        order = ["nginx"] + SERVICES[::-1] + ["relay", "pgrelay", "pgrelay2", "llm", "smtp", "redis", "postgres", STANDBY, "postgres-fenced"]
        for name in order:
            process = self.procs.get(name)
            if process:
                process.stop(signal.SIGINT if name.startswith("postgres") else signal.SIGTERM, timeout=10)
        self.net.teardown()
        if os.path.ismount(self.media):
            run("umount", "--lazy", self.media, check=False)

    def psql(self, query):
        """Postgres's answer to one statement, as the operator, over the network."""
        done = subprocess.run([f"{self.pg_bin}/psql", self.database_url, "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", query],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()
