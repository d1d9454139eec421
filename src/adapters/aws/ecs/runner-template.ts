// The fixed bash program every ECS Exec session runs in the container. It starts the step detached (setsid,
// its own process group, stdout/stderr/exit status in files under the step directory) at most once — the
// `mkdir` of the step directory is the lock — and streams the files back as length-framed records from the
// byte offsets the client already has. Nothing from the runbook is interpolated: the program is base64 in the
// command line, and its arguments are base64, hex or digits (see runner-command.ts).
//
// Records (RS = 0x1e):  RS tok:KIND[:fields] RS, followed by <n> raw bytes for D (stdout) and E (stderr).
//   S            this session started the step            H:<out>:<err>  attached at these offsets
//   D:<n> / E:<n> n bytes of stdout / stderr follow       K              keep-alive (quiet for 30 s)
//   X:<rc>:<how> the step ended (rc digits or "lost"; how = SIGINT, SIGKILL, not-started or empty)
//   T:<rc>:<how> a stop took effect (same fields): sent at once, before the output still to send, so the
//                client can confirm the stop within its budget however large that backlog is
//   R:<reason>   refused before anything ran
// Control lines the client writes on the (raw, no-echo) pty: "g <grant>" (may send up to <grant> bytes in all:
// flow control), "k" (keep-alive), "x" (stop: SIGINT to the step's process group, SIGKILL after 1 s),
// "a" (acknowledged: remove the step directory and exit).
// bash parameter expansions (`${...}`) are written with OPEN so the TypeScript template does not interpolate them.
const OPEN = '${';

export const RUNNER_TEMPLATE = String.raw`shift
set -u
mode=$1 d=$2 tok=$3
rec() { printf '\036%s:%s\036' "$tok" "$1"; }
stty raw -echo 2>/dev/null || { rec R:stty-failed; exit 0; }
fsize() { if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi; }
wait_for() { i=0; while [ ! -e "$1" ] && [ "$i" -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
stop_step() {
  [ -e "$d/status" ] || interrupt_step
  [ -e "$d/status" ] && rec "T:$(cat "$d/status"):$(cat "$d/stopped" 2>/dev/null)"
}
interrupt_step() {
  : >"$d/stop"
  wait_for "$d/pgid" 10 || { wait_for "$d/status" 10; return 0; }
  pg=$(cat "$d/pgid")
  kill -INT -- "-$pg" 2>/dev/null
  if wait_for "$d/status" 10; then how=SIGINT; else kill -KILL -- "-$pg" 2>/dev/null; how=SIGKILL; wait_for "$d/status" 5; fi
  [ -e "$d/stopped" ] || printf '%s\n' "$how" >"$d/stopped"
}
runner='d=$1
echo $$ >"$d/runner.pid"
if [ -e "$d/stop" ]; then echo not-started >"$d/stopped"; echo 130 >"$d/status.tmp"; mv -f "$d/status.tmp" "$d/status"; exit 0; fi
set -m
bash "$d/step.sh" </dev/null >"$d/out" 2>"$d/err" &
echo $! >"$d/pgid"
wait $!
echo $? >"$d/status.tmp" && mv -f "$d/status.tmp" "$d/status"'
start_step() {
  command -v setsid >/dev/null 2>&1 || { rec R:setsid-missing; exit 0; }
  mkdir -p -m 700 -- "${OPEN}d%/*}" 2>/dev/null
  if mkdir -m 700 -- "$d" 2>/dev/null; then
    printf %s "$1" | base64 -d >"$d/step.sh" || { rm -rf -- "$d"; rec R:decode-failed; exit 0; }
    printf %s "$runner" >"$d/runner.sh"
    set -m; setsid bash "$d/runner.sh" "$d" </dev/null >/dev/null 2>&1 & set +m
    rec S
  elif [ ! -d "$d" ]; then
    rec R:mkdir-failed; exit 0
  fi
}
case $mode in
  run) start_step "$7" ;;
  stop) [ -d "$d" ] || { rec R:absent; exit 0; } ;;
  *) rec R:bad-mode; exit 0 ;;
esac
exec 2>/dev/null
o=$4 e=$5 g=$6 ticks=0 quiet=0 finished=0 n=0
rec "H:$o:$e"
[ "$mode" = stop ] && stop_step
control() {
  case $1 in
    g\ *) v=${OPEN}1#g }; case $v in '' | *[!0-9]*) ;; *) g=$v ;; esac ;;
    x) stop_step ;;
    a) rm -rf -- "$d"; rmdir -- "${OPEN}d%/*}" 2>/dev/null; exit 0 ;;
  esac
}
send() {
  n=$(($2 - $3)) room=$((g - o - e))
  [ "$n" -gt "$room" ] && n=$room
  [ "$n" -gt 262144 ] && n=262144
  rec "$1:$n"
  tail -c +$(($3 + 1)) -- "$4" | head -c "$n"
}
drained() { [ "$(fsize "$d/out")" -le "$o" ] && [ "$(fsize "$d/err")" -le "$e" ]; }
while :; do
  while read -r -t 0; do IFS= read -r line || exit 0; control "$line"; done
  so=$(fsize "$d/out") se=$(fsize "$d/err")
  if [ "$finished" = 0 ] && [ $((g - o - e)) -gt 0 ]; then
    if [ "$so" -gt "$o" ]; then send D "$so" "$o" "$d/out"; o=$((o + n)) quiet=0; continue; fi
    if [ "$se" -gt "$e" ]; then send E "$se" "$e" "$d/err"; e=$((e + n)) quiet=0; continue; fi
  fi
  if [ "$finished" = 0 ] && [ -e "$d/status" ] && drained; then
    rec "X:$(cat "$d/status"):$(cat "$d/stopped" 2>/dev/null)"; finished=1 quiet=0
  elif [ "$finished" = 0 ] && [ ! -e "$d/status" ]; then
    if [ -e "$d/runner.pid" ]; then
      kill -0 "$(cat "$d/runner.pid")" 2>/dev/null || [ -e "$d/status" ] || { rec X:lost:; finished=1; }
    elif [ "$ticks" -ge 100 ]; then
      rec X:lost:; finished=1
    fi
  fi
  if IFS= read -r -t 0.1 line; then control "$line"; elif [ $? -le 128 ]; then exit 0; fi
  ticks=$((ticks + 1)) quiet=$((quiet + 1))
  if [ "$quiet" -ge 300 ]; then rec K; quiet=0; [ "$finished" = 1 ] && exit 0; fi
done
`;
