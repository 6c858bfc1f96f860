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

if [ "$(id -u)" = 0 ] && [ "$run_uid" != 0 ]; then
  if ! mkdir -p "$DATA_DIR"; then
    echo "replydesk: DATA_DIR: cannot create $DATA_DIR" >&2
    exit 73
  fi
  # Only what is not the server's yet: a restore run as root over `railway ssh`, a fresh volume.
  if ! find "$DATA_DIR" \( ! -user "$run_uid" -o ! -group "$run_gid" \) \
      -exec chown -h "$run_uid:$run_gid" {} + ; then
    echo "replydesk: DATA_DIR: cannot give $DATA_DIR to uid $run_uid (a read-only volume?)" >&2
    exit 73
  fi
  exec setpriv --reuid="$run_uid" --regid="$run_gid" --clear-groups \
    --inh-caps=-all --no-new-privs -- replydesk "$@"
fi

exec replydesk "$@"
