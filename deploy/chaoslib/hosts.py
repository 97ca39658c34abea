"""Hosts for the fault suite: one network namespace per host, each with a veth pair to a bridge in
a namespace of its own (the switch), and the processes that run on them.

Every name starts with the run's prefix (`cx<4 hex>`), so two runs never meet, and `teardown`
removes what this run made whatever state it is in. Needs CAP_NET_ADMIN and CAP_SYS_ADMIN (root).
"""
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

SUBNET = "10.77.0"
CLONE_NEWNET = 0x40000000


class NoNamespaces(Exception):
    """Network namespaces cannot be made here (no CAP_NET_ADMIN, or no iproute2)."""


def run(*argv, check=True):
    done = subprocess.run(list(argv), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed: {(done.stderr or done.stdout).strip()}")
    return done


def poll(what, check, timeout, interval=0.2):
    """Calls check() until it returns something true, or raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


class Network:
    """A switch namespace with a bridge, and hosts plugged into it."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.switch = f"{prefix}-switch"
        self.hosts = {}  # name -> (namespace, address, port on the switch)
        self.made = []  # namespaces, in creation order

    def namespace(self, name):
        return f"{self.prefix}-{name}"

    def probe(self):
        """Raises NoNamespaces unless a namespace can be made and removed."""
        if not os.path.exists("/usr/sbin/ip") and not any(
                os.access(os.path.join(d, "ip"), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
            raise NoNamespaces("iproute2's `ip` is not installed")
        name = self.namespace("probe")
        done = run("ip", "netns", "add", name, check=False)
        if done.returncode != 0:
            raise NoNamespaces(f"`ip netns add` failed ({done.stderr.strip()}): the fault suite needs root "
                               "(CAP_NET_ADMIN and CAP_SYS_ADMIN) to give each host its own network namespace")
        run("ip", "netns", "del", name, check=False)

    def up(self):
        self.probe()
        self._add_namespace(self.switch)
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        run("ip", "-n", self.switch, "link", "set", "lo", "up")

    def _add_namespace(self, namespace):
        run("ip", "netns", "add", namespace)
        self.made.append(namespace)

    def add_host(self, name, octet):
        namespace = self.namespace(name)
        address = f"{SUBNET}.{octet}"
        port = f"p{octet}"
        self._add_namespace(namespace)
        run("ip", "-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        run("ip", "-n", self.switch, "link", "set", port, "master", "br0", "up")
        run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        run("ip", "-n", namespace, "link", "set", "eth0", "up")
        run("ip", "-n", namespace, "link", "set", "lo", "up")
        self.hosts[name] = (namespace, address, port)
        return address

    def address(self, name):
        return self.hosts[name][1]

    # Faults ---------------------------------------------------------------------------------

    def unplug(self, name):
        """The host's cable out of the switch: nothing reaches it or leaves it."""
        run("ip", "-n", self.switch, "link", "set", self.hosts[name][2], "down")

    def plug(self, name):
        run("ip", "-n", self.switch, "link", "set", self.hosts[name][2], "up")

    def add_address(self, name, address):
        """A second address on the host's eth0 (a floating service address)."""
        run("ip", "-n", self.hosts[name][0], "addr", "add", f"{address}/24", "dev", "eth0")

    def del_address(self, name, address):
        run("ip", "-n", self.hosts[name][0], "addr", "del", f"{address}/24", "dev", "eth0", check=False)

    def announce(self, name, address):
        """Tells the segment that `address` is now at this host: gratuitous ARP (`arping -U`, Debian's
        iputils-arping), as keepalived and vip-manager do. Without arping, every host's neighbour
        cache is flushed instead (what the announcement achieves). Returns how it was done."""
        namespace = self.hosts[name][0]
        done = run("ip", "netns", "exec", namespace, "arping", "-U", "-c", "1", "-I", "eth0", "-s", address,
                   address, check=False) if shutil.which("arping") else None
        if done is not None and done.returncode in (0, 1):  # 1: no reply, as expected of an announcement
            return "gratuitous ARP (arping -U)"
        for other in self.hosts.values():
            run("ip", "-n", other[0], "neigh", "flush", "to", address, check=False)
        return "neighbour caches flushed (no arping)"

    def netem(self, name, *spec):
        """`tc netem` on the host's side (e.g. "delay", "200ms"); no spec removes it."""
        namespace = self.hosts[name][0]
        if spec:
            run("tc", "-n", namespace, "qdisc", "replace", "dev", "eth0", "root", "netem", *spec)
        else:
            run("tc", "-n", namespace, "qdisc", "del", "dev", "eth0", "root", check=False)

    def enter(self, name):
        """Moves the calling thread (and the threads and processes it starts later) into the host."""
        libc = ctypes.CDLL(None, use_errno=True)
        with open(f"/run/netns/{self.hosts[name][0]}") as f:
            if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns into {name}")

    def teardown(self):
        for namespace in reversed(self.made):
            pids = run("ip", "netns", "pids", namespace, check=False).stdout.split()
            for pid in pids:
                if pid == str(os.getpid()):
                    continue  # this process's own thread in the client's host
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run("ip", "netns", "del", namespace, check=False)
        self.made = []


class Process:
    """One program on one host: started in the host's namespace, in a process group of its own."""

    def __init__(self, name, namespace, argv, env=None, log=None, user=None, cwd=None):
        self.name, self.namespace, self.argv = name, namespace, argv
        self.env, self.log, self.user, self.cwd = env or {}, log, user, cwd
        self.popen = None
        self.starts = 0

    def start(self):
        command = ["ip", "netns", "exec", self.namespace]
        if self.user:
            command += ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups"]
        log = open(self.log, "a")
        log.write(f"\n=== {time.strftime('%H:%M:%S')} start {' '.join(self.argv)}\n")
        log.flush()
        self.popen = subprocess.Popen(command + self.argv, env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                      cwd=self.cwd or "/")
        log.close()
        self.starts += 1

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def send(self, sig):
        if self.alive():
            os.killpg(self.popen.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends `sig` and waits for the exit; SIGKILL to the group after `timeout`."""
        if not self.popen:
            return
        if self.alive():
            try:
                os.kill(self.popen.pid, sig)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def kill9(self):
        self.send(signal.SIGKILL)
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass


def http_ok(url, timeout=2):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def tcp_ok(host, port, timeout=1):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
