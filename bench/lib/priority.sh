#!/usr/bin/env bash
# Runs a command at the top CPU priority, in its own scheduler autogroup: on a machine shared with
# other work (Linux with sched_autogroup, as root), plain `nice` only ranks processes within one
# session, so the command is started in a new session whose autogroup gets nice -20.
# Without root, or without autogroups, it runs the command as it is.
#   bash bench/lib/priority.sh node bench/scrape.js
exec setsid bash -c 'echo -20 > /proc/$$/autogroup 2>/dev/null; exec nice -n -20 "$@" 2>/dev/null || exec "$@"' bash "$@"
