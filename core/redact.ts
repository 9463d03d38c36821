// Secrets seen in transcripts are replaced by `[REDACTED:<kind>]` before the
// text reaches a model, a workflow history or the store.
//
// Patterns are anchored on what a secret looks like (a vendor prefix, a key
// name) so ordinary prose, code, paths and UUIDs pass through untouched, and
// redacting twice gives the same text. Every pattern runs in linear time:
// lookbehinds keep an unanchored scan from restarting inside a long word.

interface Rule {
  kind: string;
  pattern: RegExp;
}

// Order matters: whole blocks and vendor tokens first, then the generic rules,
// which leave an already-redacted value alone.
const TOKEN_RULES: Rule[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*$)/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  { kind: 'github-token', pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g },
  { kind: 'github-token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/g },
  { kind: 'anthropic-key', pattern: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  // Needs a digit, so hyphenated words such as "sk-learn-..." are not keys.
  { kind: 'openai-key', pattern: /(?<![A-Za-z0-9_-])sk-(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack-token', pattern: /\bxox[abpr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
];

const AUTHORIZATION_HEADER = /(\bAuthorization["']?\s*:\s*["']?(?:Bearer|Basic|Token)\s+)([^\s"'`<>]+)/gi;
const BARE_BEARER = /(\bBearer\s+)([A-Za-z0-9._~+/-]{20,}=*)/g;
const URL_CREDENTIALS = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#'"]+:)([^\s@/?#'"]+)(?=@)/gi;
// name, optional matching quotes around it, ":" "=" or ":=", then a quoted or bare value.
// Values are capped so a rejected pair rescanned from its value stays linear ("a:a:a:…").
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])(["']?)([A-Za-z_][A-Za-z0-9_.-]{0,63})\1(\s*(?::=|[:=])\s*)("[^"\n]{0,256}"|'[^'\n]{0,256}'|[^\s"'`,;&)}\]]{1,256})/g;
/** The rest of a bare value longer than the cap. */
const BARE_VALUE_TAIL = /[^\s"'`,;&)}\]]*/y;

const SECRET_WORDS = new Map<string, string>([
  ['password', 'password'],
  ['passwd', 'password'],
  ['passphrase', 'password'],
  ['secret', 'secret'],
  ['token', 'token'],
  ['credential', 'secret'],
  ['credentials', 'secret'],
  ['apikey', 'key'],
]);
/** Words that name a secret only after a prefix: "DB_PASS", but not a bare "pass" or the shell's PWD. */
const PREFIXED_SECRET_WORDS = new Map<string, string>([
  ['pass', 'password'],
  ['pwd', 'password'],
]);
/** "key" names a secret only after one of these: api_key, SECRET_KEY, privateKey; never cacheKey or primaryKey. */
const SECRET_KEY_PREFIXES = new Set(['api', 'access', 'secret', 'private', 'auth', 'signing', 'encryption', 'master', 'ssh']);

/** `text` with every recognised secret replaced by `[REDACTED:<kind>]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of TOKEN_RULES) out = out.replace(rule.pattern, marker(rule.kind));
  out = out.replace(AUTHORIZATION_HEADER, (all, head: string, value: string) => (isPlaceholder(value) ? all : head + marker('bearer-token')));
  out = out.replace(BARE_BEARER, (all, head: string, value: string) => (isPlaceholder(value) ? all : head + marker('bearer-token')));
  out = out.replace(URL_CREDENTIALS, (all, head: string, value: string) => (isPlaceholder(value) ? all : head + marker('url-password')));
  return redactAssignments(out);
}

/**
 * `name = value` pairs whose name announces a secret. A pair that is not
 * redacted gives back its value for scanning, so `https://h/?token=…` and
 * `a: b=…` are still found.
 */
function redactAssignments(text: string): string {
  const pattern = new RegExp(ASSIGNMENT.source, 'g');
  let out = '';
  let copied = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const [all, quote = '', name = '', separator = '', value = ''] = match;
    const kind = secretKind(name);
    if (!kind || !isLiteralSecret(value)) {
      pattern.lastIndex = match.index + all.length - value.length;
      continue;
    }
    const quoted = value.startsWith('"') || value.startsWith("'");
    out += text.slice(copied, match.index) + quote + name + quote + separator + (quoted ? `${value[0]}${marker(kind)}${value[0]}` : marker(kind));
    copied = match.index + all.length;
    if (!quoted) {
      BARE_VALUE_TAIL.lastIndex = copied;
      copied += BARE_VALUE_TAIL.exec(text)?.[0].length ?? 0;
    }
    pattern.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/** The kind of secret a key name announces, judged by its last word (snake, kebab, dotted or camel case). */
function secretKind(name: string): string | undefined {
  const words = name
    .split(/[_.-]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  const last = words.at(-1) ?? '';
  const previous = words.at(-2);
  if (SECRET_WORDS.has(last)) return SECRET_WORDS.get(last);
  if (previous === undefined) return undefined;
  if (PREFIXED_SECRET_WORDS.has(last)) return PREFIXED_SECRET_WORDS.get(last);
  if (last === 'key' && SECRET_KEY_PREFIXES.has(previous)) return 'key';
  return undefined;
}

/** A literal that could be a secret, not code (a type, a call, a variable) or a placeholder. */
function isLiteralSecret(value: string): boolean {
  const quoted = value.startsWith('"') || value.startsWith("'");
  const inner = quoted ? value.slice(1, -1) : value;
  if (isPlaceholder(inner) || /^[\d.]*$/.test(inner) || /^(?:true|false|null|none|nil|undefined)$/i.test(inner)) return false;
  // A quoted value with spaces is a message ("Enter your password"), not a secret.
  if (quoted) return inner.length >= 3 && !/\s/.test(inner);
  if (inner.length < 4 || /[([{<]/.test(inner)) return false;
  // Bare words and dotted paths are types and variables (`token: string`, `key = cfg.apiKey`).
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(inner)) return false;
  return /[\d/+=!@#%^&*~]/.test(inner);
}

function isPlaceholder(value: string): boolean {
  return /^(?:\$|%[A-Za-z_]|<|\{\{|\[REDACTED:|process\.env|os\.environ|env\.|secrets\.|\*{3,}|x{3,}$|\.\.\.|…)/i.test(value);
}

function marker(kind: string): string {
  return `[REDACTED:${kind}]`;
}
