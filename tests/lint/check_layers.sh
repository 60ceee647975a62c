#!/usr/bin/env bash
# check_layers.sh: enforces the layering rules of docs/ARCHITECTURE.md on
# #includes and comments.
#   proto/  pure: no sockets, files, clocks, lws, SQLite, server or client headers
#   server/ never links codecs or holds media: no vpx, opus, SDL
#   client/ and server/ never include each other
#   glue: codecs and media libraries (libvpx, libopus, libyuv, speexdsp,
#         libjpeg, SDL) only in client/media/; SDL (with SDL_ttf) also in
#         client/ui/, the room's window, which includes no codec; cairo and
#         pango only in client/doc/ (a sheet's PDF);
#         libwebsockets only in server/ws.c and client/net.c; SQLite only in
#         the stores (server/store_sqlite*.c, client/keystore*.c and ks_*.c)
#   a family's private header (store_sqlite_int.h, keystore_db.h, e2e_core.h,
#         testwin_int.h)
#         is included by its own files only
#   no source file over 700 lines
#   the repository stands alone: no file cites a document outside it
# (check_cycles.py checks that no modules include or call each other in a circle.)
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
# Glue files are the only ones that include an outside library's I/O layer.
glue() { # glue REGEX ALLOWED_PATH_REGEX WHY
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*<($1)" proto server client \
         --include='*.c' --include='*.h' 2>/dev/null | grep -vE "^($2):")
  if [ -n "$hits" ]; then
    echo "layer violation ($3):"; echo "$hits"; fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
glue 'libwebsockets' 'server/ws\.c|client/net\.c' "only ws.c and net.c wire libwebsockets"
glue 'vpx/|opus|libyuv|speex/|jpeglib' 'client/media/[a-z_0-9]*\.(c|h)' "only client/media/ includes codecs and media libraries"
glue 'SDL' 'client/(media|ui)/[a-z_0-9]*\.(c|h)' "only client/media/ and client/ui/ (the window) include SDL"
glue 'cairo|pango/' 'client/doc/[a-z_0-9]*\.(c|h)' "only client/doc/ (a sheet's PDF) includes cairo and pango"
glue 'sqlite3' 'server/store_sqlite[a-z_]*\.(c|h)|client/(keystore|ks_)[a-z_]*\.(c|h)' "only the stores open SQLite"
# A family's private header is included by that family only.
private() { # private HEADER FAMILY_REGEX
  local hits
  hits=$(grep -rlE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"$1\"" proto server client tests \
         --include='*.c' --include='*.h' 2>/dev/null | grep -vE "^($2)$")
  if [ -n "$hits" ]; then
    echo "private header $1 included outside its family:"; echo "$hits"; fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
private store_sqlite_int.h 'server/store_sqlite[a-z_]*\.(c|h)'
private keystore_db.h 'client/(keystore|ks_)[a-z_]*\.(c|h)|client/keystore_db\.h'
private e2e_core.h 'client/e2e_[a-z_]*\.(c|h)'
private testwin_int.h 'client/ui/testwin[a-z_]*\.(c|h)'
# The repository's documents are the truth: nothing cites one outside it.
outside='(DESIGN|DOMAIN|STYLE)\.md|\.\./shared/'
hits=$(grep -rnIE --exclude-dir=corpus --exclude-dir=__pycache__ "$outside" \
       proto server client tests docs assets scripts .ci README.md CMakeLists.txt 2>/dev/null |
       grep -v '^tests/lint/check_layers.sh:')
if [ -n "$hits" ]; then
  echo "a file cites a document outside the repository:"; echo "$hits"; fail=$((fail+1))
else
  pass=$((pass+1))
fi
# A file past 700 lines is doing two jobs (docs/ARCHITECTURE.md §1).
big=$(find proto server client -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 700 {print $2 ": " $1 " lines"}')
if [ -n "$big" ]; then
  echo "files over 700 lines (split them by job):"; echo "$big"; fail=$((fail+1))
else
  pass=$((pass+1))
fi
# Nothing in proto/ may print: it reports through return codes.
if grep -rnE '\b(printf|fprintf|puts|perror|syslog)\s*\(' proto --include='*.c' | grep -v snprintf >/dev/null; then
  echo "proto/ prints:"; grep -rnE '\b(printf|fprintf|puts|perror|syslog)\s*\(' proto --include='*.c' | grep -v snprintf
  fail=$((fail+1))
else
  pass=$((pass+1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
