#!/bin/sh
# The example's main process: logs a line every two seconds to /var/log/app/app.log (which the
# log-shipper sidecar follows) and stops cleanly on SIGTERM (docker stop), exiting 0.
trap 'echo "app: SIGTERM, shutting down" >&2; exit 0' TERM
echo "app: started as pid $$" >&2
n=0
while :; do
  n=$((n + 1))
  echo "app: request $n handled" >>/var/log/app/app.log
  sleep 2 &
  wait $!
done
