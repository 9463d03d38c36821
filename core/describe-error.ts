// Turns any error into the one line the user sees after "skillopt: " (the CLI)
// or in a pull report (the CLI and the SessionStart hook). Errors are matched
// by name, not class, so copies of a class from another bundle (or a store
// module loaded separately) still map, and this module imports nothing.

interface ErrnoLike {
  code?: unknown;
  path?: unknown;
  dest?: unknown;
  address?: unknown;
  port?: unknown;
  syscall?: unknown;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
}

function errnoMessage(err: Error & ErrnoLike): string | undefined {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const path = typeof err.path === 'string' ? err.path : undefined;
  // rename/copy errors carry the temp source as `path`; the file the user knows is `dest`.
  if (typeof err.dest === 'string' && code) {
    const why = code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' ? 'a folder is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
    return `cannot write ${err.dest}: ${why}`;
  }
  switch (code) {
    case 'ENOENT':
      return path ? `${path} does not exist` : undefined;
    case 'EACCES':
    case 'EPERM':
      return path ? `permission denied: ${path}` : undefined;
    case 'ENOTDIR':
      return path ? `${path}: a part of this path is a file, not a folder` : undefined;
    case 'EISDIR':
      return path ? `${path} is a folder, expected a file` : undefined;
    case 'ENOSPC':
      return `no space left on the device${path ? ` writing ${path}` : ''}`;
    case 'EROFS':
      return path ? `${path} is on a read-only file system` : undefined;
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND': {
      const where = typeof err.address === 'string' ? `${err.address}${err.port ? `:${String(err.port)}` : ''}` : 'the server';
      return `cannot connect to ${where} (${code}); check that the database is running and SKILLOPT_DATABASE_URL`;
    }
    default:
      return undefined;
  }
}

/** The message after "skillopt: ", always a single line. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err)) || 'unknown error';
  // AggregateError (e.g. a connection tried on IPv4 and IPv6) hides the useful one inside.
  if (err instanceof AggregateError && err.errors.length > 0 && !err.message) return describeError(err.errors[0]);
  const message = oneLine(err.message);
  switch (err.name) {
    case 'InvalidSkillRefError':
    case 'SkillDocumentError':
    case 'StoreUnavailableError':
    case 'CliError':
    case 'UsageError':
    case 'PushError':
    case 'SkillFolderError':
    case 'FileLockError':
    case 'RemoteError':
      return message;
    case 'VersionConflictError':
      return `${message}; see it with \`skillopt skills history\`, then push again`;
    case 'StoreValidationError':
      return `the store refused it: ${message}`;
  }
  return errnoMessage(err as Error & ErrnoLike) ?? (message || err.name || 'unknown error');
}
