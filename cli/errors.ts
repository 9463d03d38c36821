// The CLI's exit codes (the message is core/describe-error's one line).
/** Usage errors exit 2, everything else 1 (or the CliError's own code). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number' && err.exitCode > 0) return err.exitCode;
  return 1;
}
