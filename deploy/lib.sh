# shellcheck shell=bash
# Helpers shared by deploy/dev (local stack and throw-away test stack). Sourced, not executed.

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------------------------
# System packages: everything a documented command runs that is not Python (Python tools come
# from deploy/requirements.txt, in the environment deploy/venv keeps).

# The stack, its tests and deploy/production/validate (`deploy/dev deps`, `up`, `test`).
DEB_PACKAGES=(
  postgresql postgresql-contrib redis-server nginx-light ffmpeg
  libhiredis-dev libcurl4-openssl-dev libpq-dev libssl-dev
  python3 python3-venv ca-certificates curl openssl
)
# Also the benchmarks in loadtest/ (`deploy/dev deps --bench`, which they run first): wrk, and
# redis-benchmark and pgbench, which come with redis-server and postgresql already. k6 and
# matplotlib are Python packages (deploy/requirements.txt).
BENCH_PACKAGES=(wrk redis-tools postgresql)

deb_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# /usr/sbin is not on an ordinary user's PATH on Debian.
nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

# install_packages PACKAGE...: installs the missing ones; does nothing (and needs no sudo) otherwise.
install_packages() {
  if ! command -v apt-get >/dev/null 2>&1; then
    warn "apt-get not found; make sure these are installed: $*"
    return 0
  fi
  local pkg missing=()
  for pkg in "$@"; do
    # Any nginx build will do; nginx-light is only the smallest one on Debian 12.
    if [ "$pkg" = nginx-light ] && [ -x "$(nginx_bin)" ]; then continue; fi
    deb_installed "$pkg" || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0

  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} yourself"
    sudo=(sudo)
  fi
  log "installing missing packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  # Newer releases dropped the nginx-light flavour.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
    missing=("${missing[@]/#nginx-light/nginx}")
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The Python environment's bin/ first on PATH (built or refreshed first when needed).
use_venv() {
  local venv
  venv=$("$REPO_ROOT/deploy/venv") || die "the Python environment could not be built (deploy/venv)"
  export PATH="$venv/bin:$PATH" VIRTUAL_ENV=$venv
}

# install_deps [--bench]: the system packages, then the Python environment.
install_deps() {
  install_packages "${DEB_PACKAGES[@]}"
  if [ "${1:-}" = --bench ]; then install_packages "${BENCH_PACKAGES[@]}"; fi
  use_venv
}

# Newest installed PostgreSQL unless PG_BIN is given.
pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || die "PostgreSQL server binaries not found (set PG_BIN)"
  echo "$dir"
}

# Prints N distinct free TCP ports on 127.0.0.1 (all held open together, so they differ).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# ---------------------------------------------------------------------------------------------
# Processes

# alive PID: true if PID runs (a zombie left by a crashed child does not count).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid_of PIDFILE [HINT]: prints the pid when its process is alive. HINT, a word expected in the
# command line, guards against a stale pidfile whose pid now belongs to something else.
pid_of() {
  local pidfile=$1 hint=${2:-} pid
  [ -s "$pidfile" ] || return 1
  pid=$(head -n 1 "$pidfile" 2>/dev/null | tr -dc 0-9)
  [ -n "$pid" ] && alive "$pid" || return 1
  if [ -n "$hint" ] && [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$hint" || return 1
  fi
  echo "$pid"
}

# spawn PIDFILE LOGFILE CMD...: runs CMD in the background in its own session (so a Ctrl-C in
# this terminal does not reach it), appending its output to LOGFILE.
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  printf '\n=== %s  %s\n' "$(date '+%F %T')" "$*" >>"$logfile"
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# show_last_run LOGFILE: the end of the log's latest run (spawn marks each start with "===").
show_last_run() {
  awk '/^=== /{run=""} {run=run $0 "\n"} END{printf "%s", run}' "$1" 2>/dev/null | tail -n 40 >&2 || true
}

# wait_ready NAME PIDFILE LOGFILE SECONDS CHECK...: polls CHECK until it succeeds; fails early,
# with the end of the log, if the process dies or time runs out.
wait_ready() {
  local name=$1 pidfile=$2 logfile=$3 deadline=$((SECONDS + $4))
  shift 4
  until "$@"; do
    if ! pid_of "$pidfile" >/dev/null; then
      show_last_run "$logfile"
      die "$name exited during start-up (log: $logfile)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_last_run "$logfile"
      die "$name did not become ready in time (log: $logfile)"
    fi
    sleep 0.2
  done
}

# stop_process NAME PIDFILE [HINT]: SIGTERM, up to 15 s to exit, then SIGKILL.
stop_process() {
  local name=$1 pidfile=$2 hint=${3:-} pid i
  if pid=$(pid_of "$pidfile" "$hint"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 75; i++)); do
      alive "$pid" || break
      sleep 0.2
    done
    if alive "$pid"; then
      warn "$name still running after 15 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------------------------------------
# Probes (all on 127.0.0.1)

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true; }
http_ok() { [ "$(http_status "$1")" = 200 ]; }

redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

pg_ok() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$1"; }

# An SMTP server greets with 220.
smtp_ok() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 2 greeting <&3 || exit 1
    printf "QUIT\r\n" >&3
    [ "${greeting:0:3}" = 220 ]' _ "$1" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (it refuses to run as root: as root, run its tools as the postgres user)

as_pg() {
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user to run PostgreSQL"
    # cd / so the tools do not complain about a working directory postgres cannot read.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# pg_initdb DATADIR SUPERUSER [initdb options...]: UTF-8 whatever the caller's locale is
# (a C/POSIX locale would give SQL_ASCII and break Korean text).
pg_initdb() {
  local data=$1 superuser=$2
  shift 2
  as_pg "$(pg_bin)/initdb" -D "$data" -U "$superuser" -E UTF8 --locale=C.UTF-8 "$@" >/dev/null
}

pg_start() { as_pg "$(pg_bin)/pg_ctl" -D "$1" -l "$2" -w -t 60 start >/dev/null; }

pg_stop() { as_pg "$(pg_bin)/pg_ctl" -D "$1" -m "$2" -w -t 30 stop >/dev/null; }

pg_pidfile() { echo "$1/postmaster.pid"; }

# ---------------------------------------------------------------------------------------------
# Redis, SMTP sink, LLM stub

# start_redis PORT DIR PIDFILE LOGFILE [redis options...]
# Revocation marks and sessions live here, so writes go to an append-only file synced every
# second: a restart loses at most a second of them (and AuthService re-applies recent session
# ends from Postgres anyway).
start_redis() {
  local port=$1 dir=$2 pidfile=$3 logfile=$4
  shift 4
  mkdir -p "$dir"
  spawn "$pidfile" "$logfile" redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --daemonize no --appendonly yes --appendfsync everysec --logfile '' \
    --maxmemory "${REDIS_MAXMEMORY:-256mb}" --maxmemory-policy volatile-lfu "$@"
  wait_ready redis "$pidfile" "$logfile" 15 redis_ok "$port"
}

# start_smtp_sink PORT MAILDIR PIDFILE LOGFILE: every message becomes a file in MAILDIR/new
# (deploy/smtp_sink.py refuses reject*@ with 550 and tempfail*@ with 451).
start_smtp_sink() {
  local port=$1 maildir=$2 pidfile=$3 logfile=$4 sub
  # An existing folder without tmp/new/cur makes every delivery fail, so create all of them.
  for sub in tmp new cur; do mkdir -p "$maildir/$sub"; done
  PYTHONPATH="$REPO_ROOT/deploy" spawn "$pidfile" "$logfile" python3 -m aiosmtpd -n \
    -l "127.0.0.1:$port" -c smtp_sink.Sink "$maildir"
  wait_ready smtp "$pidfile" "$logfile" 15 smtp_ok "$port"
}

# start_llm_stub PORT PIDFILE LOGFILE
start_llm_stub() {
  local port=$1 pidfile=$2 logfile=$3
  spawn "$pidfile" "$logfile" python3 "$REPO_ROOT/deploy/llm-stub.py" --host 127.0.0.1 --port "$port"
  wait_ready llm-stub "$pidfile" "$logfile" 15 http_ok "http://127.0.0.1:$port/v1/models"
}
