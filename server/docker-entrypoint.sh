#!/bin/sh
# The image's entrypoint: runs `replydesk` (default `serve`) as an unprivileged user.
#
# Railway mounts volumes owned by root, and an image that starts as a non-root user cannot
# write to them. So the image starts as root, and this script, while still root, creates
# DATA_DIR and hands whatever in it is not yet the server's over to it (once: on later starts
# nothing is left to change, and nothing is walked but file names), then drops to REPLYDESK_UID
# with no groups, no capabilities and no way back. Started as another user (docker run --user,
# Kubernetes' runAsUser), it just runs the server, which says clearly when it cannot write
# DATA_DIR (exit code 73).
set -eu

# DATA_DIR: as set, else the Railway volume wherever it is mounted, else /data.
DATA_DIR="${DATA_DIR:-${RAILWAY_VOLUME_MOUNT_PATH:-/data}}"
export DATA_DIR
run_uid="${REPLYDESK_UID:-10001}"
run_gid="${REPLYDESK_GID:-10001}"

refuse() {
  echo "replydesk: $1" >&2
  exit 2
}

if [ "$(id -u)" = 0 ]; then
  # What root is about to hand over must be the data, and only the data.
  # Digits only, not starting with 0 (which also rules out 0 itself, and 00).
  case "$run_uid:$run_gid" in
  *[!0-9:]* | :* | *: | 0* | *:0*) refuse "REPLYDESK_UID/REPLYDESK_GID: must be numbers other than 0 (got $run_uid:$run_gid)" ;;
  esac
  case "$DATA_DIR" in
  /*) ;;
  *) refuse "DATA_DIR: must be an absolute path such as /data (got \"$DATA_DIR\")" ;;
  esac
  for system in / /bin /sbin /usr /usr/local /usr/local/bin /srv /srv/replydesk /etc /root /var /lib; do
    if [ "$(realpath -m -- "$DATA_DIR")" = "$system" ]; then
      refuse "DATA_DIR: $DATA_DIR holds the system or Replydesk itself; use a directory of its own such as /data"
    fi
  done
  if ! mkdir -p -- "$DATA_DIR"; then
    echo "replydesk: DATA_DIR: cannot create $DATA_DIR" >&2
    exit 73
  fi
  # Only what is not the server's yet (a fresh volume, a restore run as root over `railway
  # ssh`), on this volume only (-xdev), never through a symbolic link (find does not follow
  # them; chown -h changes the link itself; -execdir works from each file's own directory), and
  # never a file with other hard links (it could be one of the image's own files).
  if ! find "$DATA_DIR" -xdev \( ! -user "$run_uid" -o ! -group "$run_gid" \) \
      ! \( -type f -links +1 \) -execdir chown -h "$run_uid:$run_gid" {} + ; then
    echo "replydesk: DATA_DIR: cannot give $DATA_DIR to uid $run_uid (a read-only volume?)" >&2
    exit 73
  fi
  exec setpriv --reuid="$run_uid" --regid="$run_gid" --clear-groups \
    --inh-caps=-all --no-new-privs -- replydesk "$@"
fi

exec replydesk "$@"
