// The gate in front of the Claude Code hooks that run on every prompt and
// every skill call (UserPromptSubmit, PreToolUse): a POSIX shell script that
// `hooks install` writes into the hook's arguments,
//
//   /bin/sh -c <HOOK_GATE> skillopt-gate <Event> node <entry>/dist/hook.cjs hook <Event>
//
// Starting Node costs 30–40 ms of CPU on the 2-core test machine (getrusage:
// `node -e 0` 30 ms, the hook 38 ms; 100 ms with NODE_EXTRA_CA_CERTS set, as
// corporate setups do: every Node start then parses a CA bundle; the gate 3–4
// ms), taken in Claude Code's own session while it answers. Most prompts
// need no work at all: no judgment window is open in the session. The gate
// answers that from the payload's first 4 KiB and a few file tests, and starts
// the hook only when it would do something, at the background priority (nice
// 10: it runs asynchronously, nobody waits for it). When the gate cannot tell
// (an unusual SKILLOPT_HOME or session id, a payload it does not recognise) it
// starts the hook: it never skips work the hook would have done.
//
// The hook is skipped when:
// - SKILLOPT_DISABLED=1 or SKILLOPT_INTERNAL=1 (the hook would return at once);
// - UserPromptSubmit: the session has no hint file (<home>/sessions/<id>.json:
//   no window open, hooks/hint.ts) and no flusher has to be restarted (no
//   outbox/stalled marker, no outbox/judgments-pending.json);
// - PreToolUse: the Skill call names a skill without "--", which is no shared
//   skill's `<name>--<author>` (core/skill-ref.ts).
// Every other event, and every case not listed, runs the hook. The payload
// the hook reads is the whole payload, byte for byte: the first 4 KiB the gate
// read, then the rest. A skipped payload is read to its end all the same, so
// Claude Code never meets a closed pipe (Claude Code closes the hook's stdin
// after the payload; a sender that never did would leave the gate to the
// hook's `timeout`, which Claude Code enforces). Paths and ids are only ever expanded
// inside double quotes: nothing from the payload or the environment is run.

import { OUTBOX_DIR, STALLED_MARKER } from '../../local/outbox/files';
import { PENDING_JUDGMENTS_FILE } from '../../local/outbox/pending-judgments';

/** Where the hooks keep each session's hint (hooks/hint.ts SESSIONS_DIR; a test keeps the two the same). */
export const GATE_SESSIONS_DIR = 'sessions';

/** The name the gate runs under ($0): how `hooks install` recognises a gated hook. */
export const HOOK_GATE_NAME = 'skillopt-gate';

/** How much of the payload the gate reads to decide: the session id and the Skill call's input come first. */
export const GATE_PREFIX_BYTES = 4096;

export const HOOK_GATE = `e=$1
shift
run() {
  { printf '%s' "$p"; exec cat; } | { if command -v nice >/dev/null 2>&1; then exec nice -n 10 "$@"; fi; exec "$@"; }
  exit 0
}
[ "\${SKILLOPT_DISABLED-}" = 1 ] && exec cat >/dev/null
[ "\${SKILLOPT_INTERNAL-}" = 1 ] && exec cat >/dev/null
case \${SKILLOPT_HOME-} in
  '') case \${HOME-} in /*) h=$HOME/.skillopt ;; *) h= ;; esac ;;
  /*) h=$SKILLOPT_HOME ;;
  *) h= ;;
esac
case $h in *[!A-Za-z0-9_./@+-]*) h= ;; esac
p=$(head -c ${GATE_PREFIX_BYTES}; echo .)
p=\${p%.}
[ -n "$h" ] || run "$@"
case $e in
  UserPromptSubmit)
    case $p in *'"session_id":"'*) ;; *) run "$@" ;; esac
    s=\${p#*\\"session_id\\":\\"}
    case $s in *\\"*) s=\${s%%\\"*} ;; *) run "$@" ;; esac
    case $s in ''|*[!A-Za-z0-9_-]*) run "$@" ;; esac
    [ \${#s} -le 200 ] || run "$@"
    if [ -e "$h/${GATE_SESSIONS_DIR}/$s.json" ] || [ -e "$h/${OUTBOX_DIR}/${STALLED_MARKER}" ] || [ -e "$h/${OUTBOX_DIR}/${PENDING_JUDGMENTS_FILE}" ]; then run "$@"; fi
    ;;
  PreToolUse)
    case $p in *'"tool_input":{"skill":"'*) ;; *) run "$@" ;; esac
    s=\${p#*\\"tool_input\\":\\{\\"skill\\":\\"}
    case $s in *\\"*) s=\${s%%\\"*} ;; *) run "$@" ;; esac
    case $s in *--*) run "$@" ;; esac
    ;;
  *) run "$@" ;;
esac
exec cat >/dev/null
`;
