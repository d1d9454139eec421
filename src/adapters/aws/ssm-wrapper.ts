// The AWS-RunShellScript `commands` that carry a step script. Exit 194 (Linux) / 3010 (Windows) would make the
// SSM agent reboot the instance and run the script again, so the wrapper refuses them; the refusal is signalled
// by a stderr line carrying a per-step nonce, never by the exit code alone (the step script uses 125 itself).

/** What SSM sees as the exit code when the wrapper refused a reboot code. */
export const REFUSED_REBOOT_EXIT = 125;

const MARKER = 'opsgate-refused-exit';

/** The script travels base64-encoded inside a fixed template: no runbook text is ever quoted for the shell. */
export function wrapScriptForSsm(script: string, nonce: string): string[] {
  if (!/^[A-Za-z0-9-]+$/.test(nonce)) throw new Error('wrapScriptForSsm: the nonce must be alphanumeric');
  const encoded = Buffer.from(script, 'utf8').toString('base64');
  return [
    'set -u',
    'umask 077',
    // mktemp: an unpredictable name another local user cannot pre-create or swap.
    'opsgate_step="$(mktemp "${TMPDIR:-/tmp}/opsgate-step.XXXXXXXXXX")" || { echo "opsgate: mktemp could not create the step script in ${TMPDIR:-/tmp}" >&2; exit 1; }',
    `trap 'rm -f -- "$opsgate_step"' EXIT`,
    `printf '%s' '${encoded}' | base64 -d > "$opsgate_step" || { echo 'opsgate: could not decode the step script (is base64 installed?)' >&2; exit 1; }`,
    'bash "$opsgate_step"; opsgate_rc=$?',
    `if [ "$opsgate_rc" -eq 194 ] || [ "$opsgate_rc" -eq 3010 ]; then echo "opsgate: the step exited with $opsgate_rc, which makes the SSM agent reboot the instance and run the script again; refused (${MARKER}:${nonce}:$opsgate_rc)" >&2; exit ${REFUSED_REBOOT_EXIT}; fi`,
    'exit "$opsgate_rc"',
  ];
}

/** The step's own exit code when this stderr text carries the wrapper's refusal line for this nonce. */
export function findRefusedExit(stderr: string, nonce: string): number | undefined {
  const match = new RegExp(`${MARKER}:${nonce}:(\\d+)\\)`).exec(stderr);
  return match ? Number(match[1]) : undefined;
}
