#!/usr/bin/env bash
# demo.sh: installs dependencies, builds, then shows the product's main job on
# loopback: a bilan-server in dev mode, a consultant who enrols and creates a
# bilan, a beneficiary who joins from the invite link, and the two meeting in
# the room over TLS 1.3 to exchange a chat line and a file each way, then
# holding a 10-second video call (test picture and tone, end to end
# encrypted) inside a counted session.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target bilan-server bilan >/dev/null
server=build/server/bilan-server
client=build/client/bilan
tmp=$(mktemp -d /tmp/bilan-demo.XXXXXX)
srv_pid=""
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. Starting bilan-server in dev mode (self-signed certificate, loopback)"
"$server" serve --dev --data "$tmp/server" --listen 127.0.0.1:0 >"$tmp/server.out" 2>"$tmp/server.log" &
srv_pid=$!
for _ in $(seq 300); do   # up to 30 s for the ready line
  grep -q '^bilan-server: listening on' "$tmp/server.out" 2>/dev/null && break
  kill -0 "$srv_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
sed 's/^/   server: /' "$tmp/server.out"
enrol_link=$(grep -o 'https://[^ ]*/e/[^ ]*' "$tmp/server.out" | head -1)
[ -n "$enrol_link" ] || { echo "demo: the server printed no enrolment link" >&2; exit 1; }

say "2. The consultant enrols this device (no password: a key pair and a one-time token)"
"$client" --data "$tmp/consultant" enrol "$enrol_link"

say "3. The consultant creates a bilan (16 h face-to-face budget) and gets the invite link"
out=$("$client" --data "$tmp/consultant" bilan create --label "Bilan démo" --budget 16h)
echo "$out" | sed 's/^/   /'
invite=$(grep -o '^https://[^ ]*/j/[^ ]*' <<<"$out")
bilan=$("$client" --data "$tmp/consultant" bilan list | grep -o 'bilan=[A-Za-z0-9_-]*' | tail -1 | cut -d= -f2)

say "4. Both join the room, check the spoken code, say hello and exchange a document"
echo "Programme personnalisé — version de travail" >"$tmp/programme.txt"
head -c 200000 /dev/urandom >"$tmp/questionnaire.bin"
mkdir -p "$tmp/recv-consultant" "$tmp/recv-beneficiary"
"$client" --data "$tmp/consultant" join "$bilan" --headless --say "Bonjour, je suis votre consultante." \
  --send-file "$tmp/programme.txt" --recv-dir "$tmp/recv-consultant" \
  --expect-files 1 --expect-chat 1 --timeout 60 | sed 's/^/   consultant:  /' &
c_pid=$!
"$client" --data "$tmp/beneficiary" join "$invite" --headless --say "Bonjour !" \
  --send-file "$tmp/questionnaire.bin" --recv-dir "$tmp/recv-beneficiary" \
  --expect-files 1 --expect-chat 1 --timeout 60 | sed 's/^/   beneficiary: /'
wait "$c_pid"

say "5. A 10-second video call in a session: a moving test picture and a tone each way (VP8 + Opus, SFrame)"
media=(--headless --video pattern --audio tone --duration 10)
"$client" --data "$tmp/consultant" join "$bilan" "${media[@]}" --open-session preliminaire --close-session \
  --video-out "$tmp/consultant-sees.y4m" --stats "$tmp/consultant.json" | sed 's/^/   consultant:  /' &
c_pid=$!
"$client" --data "$tmp/beneficiary" join "$invite" "${media[@]}" --duration 11 \
  --video-out "$tmp/beneficiary-sees.y4m" --audio-out "$tmp/beneficiary-hears.wav" \
  --stats "$tmp/beneficiary.json" | sed 's/^/   beneficiary: /'
wait "$c_pid"
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
for who, f in (("consultant", "consultant.json"), ("beneficiary", "beneficiary.json")):
    m = json.load(open(f"{tmp}/{f}"))["media"]
    for r in m["receive"]["slots"]:
        v, a = r["video"], r["audio"]
        print(f"   {who} received {v['rendered']} pictures and {a['played']} blocks of 20 ms of sound "
              f"({a['concealed_fec'] + a['concealed_plc']} concealed); capture to screen: video "
              f"{v['latency_ms']['p50']} ms, sound {a['latency_ms']['p50']} ms (median)")
PY
echo "   (the beneficiary's received picture: ffplay $tmp/beneficiary-sees.y4m, until the demo ends)"

say "6. Result: files, the hours the server counted, and the co-signed attendance record"
cmp -s "$tmp/programme.txt" "$tmp/recv-beneficiary/programme.txt" && echo "   programme.txt arrived intact at the beneficiary"
cmp -s "$tmp/questionnaire.bin" "$tmp/recv-consultant/questionnaire.bin" && echo "   questionnaire.bin arrived intact at the consultant"
echo "   (the demo session lasts about 10 s: 0:00 once rounded; --format json gives exact seconds)"
"$server" hours "$bilan" --data "$tmp/server" | sed 's/^/   /'
"$server" receipts "$bilan" --data "$tmp/server" --out "$tmp/receipts" >/dev/null
for r in "$tmp"/receipts/*.json; do
  "$client" receipt verify "$r" | sed 's/^/   /' || true
done

say "7. Shared worksheets, end to end encrypted: the consultant starts the synthèse, the beneficiary adds their words"
# The beneficiary's device got the worksheets' key in the room above, once its
# pair with the consultant's was authenticated by the invite link.
sheet=$("$client" --data "$tmp/consultant" sheet new synthese --bilan "$bilan" 2>/dev/null)
"$client" --data "$tmp/consultant" sheet set "$sheet" contexte \
  "Reconversion souhaitée après quinze ans dans la logistique." --bilan "$bilan" | sed 's/^/   consultant:  /'
"$client" --data "$tmp/beneficiary" sheet sync --bilan "$bilan" | sed 's/^/   beneficiary: /'
"$client" --data "$tmp/beneficiary" sheet set "$sheet" mots_projet \
  "Je veux travailler avec mes mains, au grand air." --bilan "$bilan" | sed 's/^/   beneficiary: /'
"$client" --data "$tmp/consultant" sheet sync --bilan "$bilan" | sed 's/^/   consultant:  /'
"$client" --data "$tmp/consultant" sheet export "$sheet" --format pdf -o "$tmp/synthese.pdf" --bilan "$bilan" 2>&1 \
  | sed 's/^/   consultant:  /'
if cat "$tmp"/server/server.db* | grep -a -q "grand air"; then
  echo "   ERROR: the server's database holds the worksheet's text"
else
  echo "   the server's database holds none of that text: only sealed operations"
fi
echo "   (the synthèse as a PDF, made on the consultant's device: $tmp/synthese.pdf)"

echo
echo "Demo finished. Next: README.md (deployment, configuration, CLI reference)."
