#!/usr/bin/env bash
# A throwaway IMAP server for tests: `scripts/dovecot.sh start` prints its URLs (plain IMAP on
# the first line, IMAPS on the second), `scripts/dovecot.sh stop` stops it and removes its
# directory. Uses Debian's dovecot-imapd (installed with apt if missing; the package's own
# system service is stopped and disabled, this script never uses /etc/dovecot). Everything lives
# in one directory: the config, a self-signed certificate (cert.pem, to trust in an imaps
# client), a passwd-file with two users (soporte/soporte and otro/otro), their maildirs and
# the log (dovecot.log). `scripts/dovecot.sh restart` stops and starts the same server again,
# keeping its mail (a reconnection test). Mail is owned by `nobody` (dovecot refuses to run mail processes as
# root); the login processes run as dovecot's own `dovenull`.
set -euo pipefail

PORT="${SOPORTE_IMAP_PORT:-10143}"
SSL_PORT="${SOPORTE_IMAPS_PORT:-$((PORT + 1))}"
DIR="${SOPORTE_IMAP_DIR:-/tmp/soporte-imap}"
CONF="$DIR/dovecot.conf"
PIDFILE="$DIR/run/master.pid"
MAIL_USER=nobody
MAIL_GROUP=nogroup

ensure_installed() {
  if [ ! -x /usr/sbin/dovecot ] || [ ! -e /usr/lib/dovecot/imap ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
    # The package starts (and enables) a system-wide dovecot on ports 143/993 where services may
    # start: that one is not ours and must not keep running.
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
    fi
    if [ -f /run/dovecot/master.pid ]; then
      /usr/sbin/dovecot -c /etc/dovecot/dovecot.conf stop >/dev/null 2>&1 || true
    fi
  fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

urls() {
  echo "imap://soporte:soporte@127.0.0.1:$PORT/INBOX"
  echo "imaps://soporte:soporte@127.0.0.1:$SSL_PORT/INBOX"
}

write_config() {
  # dovecot reads the users (auth) and the mail as its own unprivileged users: the directory
  # must be theirs to enter (as must its parents: e.g. under /tmp, not a private folder).
  mkdir -p "$DIR/run" "$DIR/state" "$DIR/mail"
  chmod 755 "$DIR"
  # The certificate names 127.0.0.1 and localhost, so a verifying client that trusts cert.pem
  # accepts it.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" >/dev/null 2>&1
  chmod 600 "$DIR/key.pem"
  printf 'soporte:{PLAIN}soporte::::::\notro:{PLAIN}otro::::::\n' >"$DIR/passwd"
  chmod 644 "$DIR/passwd"
  chown "$MAIL_USER:$MAIL_GROUP" "$DIR/mail"
  local dh=""
  [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  cat >"$CONF" <<EOF
# Written by scripts/dovecot.sh: a throwaway server, removed by \`scripts/dovecot.sh stop\`.
instance_name = soporte-imap-$PORT
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DIR/cert.pem
ssl_key = <$DIR/key.pem
$dh
# Tests log in with plain passwords over plain IMAP on loopback.
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER gid=$MAIL_GROUP home=$DIR/mail/%u
}
mail_location = maildir:~/Maildir
mail_plugins =
first_valid_uid = 1
# IDLE is told of new mail at once (inotify); the check interval is only the fallback.
mailbox_idle_check_interval = 1 secs
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $SSL_PORT
    ssl = yes
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
}

# The master daemonizes, keeping whatever stdio it was given: never the caller's pipes (a
# caller reading our output until EOF would wait for as long as dovecot runs).
launch() {
  if ! /usr/sbin/dovecot -c "$CONF" </dev/null >"$DIR/master.out" 2>&1; then
    cat "$DIR/master.out" >&2
    return 1
  fi
}

wait_listening() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "dovecot did not start listening on $PORT; see $DIR/dovecot.log" >&2
  cat "$DIR/dovecot.log" >&2 2>/dev/null || true
  return 1
}

start() {
  ensure_installed
  if ! running; then
    rm -rf "$DIR"
    write_config
    launch
    wait_listening
  fi
  urls
}

kill_server() {
  if running; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

stop() {
  kill_server
  rm -rf "$DIR"
}

restart() {
  if [ ! -f "$CONF" ]; then
    start
    return
  fi
  kill_server
  launch
  wait_listening
  urls
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
