#!/usr/bin/env bash
# check_layers.sh: enforces the dependency rule of DESIGN.md §1 on #includes.
#   proto/  pure: no sockets, files, clocks, lws, SQLite, server or client headers
#   server/ never links codecs or holds media: no vpx, opus, SDL
#   client/ and server/ never include each other
# Prints each violation and "N passed, N failed".
set -u
root=${1:?usage: check_layers.sh REPO_ROOT}
cd "$root" || exit 2
fail=0; pass=0
rule() { # rule DIR REGEX WHY
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$1" --include='*.c' --include='*.h' 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layer violation ($3):"; echo "$hits"; fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
rule proto 'libwebsockets|sqlite3|sys/socket|netinet/|arpa/|unistd\.h|fcntl\.h|time\.h|sys/time|dirent|\.\./server|\.\./client|server/|client/' "proto/ must stay pure"
rule server 'vpx/|opus|SDL|\.\./client|client/' "server/ must not touch media codecs or client code"
rule client '\.\./server|server/' "client/ must not include server code"
# Nothing in proto/ may print: it reports through return codes.
if grep -rnE '\b(printf|fprintf|puts|perror|syslog)\s*\(' proto --include='*.c' | grep -v snprintf >/dev/null; then
  echo "proto/ prints:"; grep -rnE '\b(printf|fprintf|puts|perror|syslog)\s*\(' proto --include='*.c' | grep -v snprintf
  fail=$((fail+1))
else
  pass=$((pass+1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
