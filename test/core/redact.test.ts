import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../core/redact';

// Fake secrets are assembled at run time so no scanner mistakes this file for a leak.
const fake = (...parts: string[]): string => parts.join('');
const AWS = fake('AKIA', 'IOSFODNN7EXAMPLE');
const GHP = fake('gh', 'p_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8');
const GH_PAT = fake('github', '_pat_', '11ABCDEFG0', 'abcdefghijklmnopqrstuvwxyz_0123456789');
const ANTHROPIC = fake('sk-', 'ant-', 'api03-', 'Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0');
const OPENAI = fake('sk-', 'proj-', 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34');
const SLACK = fake('xo', 'xb-', '1234567890-0987654321-AbCdEfGhIjKl');
const GOOGLE = fake('AI', 'za', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q');
const JWT = fake('eyJ', 'hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', '.', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA7x1', 'q2w3e4r5t6y7u8i9o0p', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('redactSecrets: vendor tokens', () => {
  it.each([
    ['an AWS access key id', AWS, 'aws-access-key'],
    ['an AWS session key id', fake('ASIA', 'Y34FZKBOKMUTVV7A'), 'aws-access-key'],
    ['a GitHub token', GHP, 'github-token'],
    ['a GitHub OAuth token', fake('gh', 'o_', 'a'.repeat(36)), 'github-token'],
    ['a fine-grained GitHub token', GH_PAT, 'github-token'],
    ['an Anthropic key', ANTHROPIC, 'anthropic-key'],
    ['an OpenAI key', OPENAI, 'openai-key'],
    ['a Slack token', SLACK, 'slack-token'],
    ['a Google API key', GOOGLE, 'google-api-key'],
    ['a JWT', JWT, 'jwt'],
  ])('redacts %s inside a sentence', (_label, secret, kind) => {
    const out = redactSecrets(`use ${secret} for this, then stop.`);
    expect(out).toBe(`use [REDACTED:${kind}] for this, then stop.`);
  });

  it('redacts a whole PEM private key block', () => {
    expect(redactSecrets(`key:\n${PEM}\ndone`)).toBe('key:\n[REDACTED:private-key]\ndone');
  });

  it('redacts an unterminated private key to the end of the text', () => {
    expect(redactSecrets('cat id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA')).toBe('cat id_ed25519\n[REDACTED:private-key]');
  });

  it('leaves a public key alone', () => {
    const pub = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';
    expect(redactSecrets(pub)).toBe(pub);
  });
});

describe('redactSecrets: headers, URLs and assignments', () => {
  it('redacts the token of an Authorization header, keeping the header', () => {
    expect(redactSecrets('curl -H "Authorization: Bearer abc123.def456-ghi" https://api.example.com')).toBe(
      'curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://api.example.com',
    );
    expect(redactSecrets('{"Authorization": "Bearer tok_9f8e7d6c5b4a"}')).toBe('{"Authorization": "Bearer [REDACTED:bearer-token]"}');
  });

  it('leaves a shell variable in an Authorization header alone', () => {
    const cmd = 'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com';
    expect(redactSecrets(cmd)).toBe(cmd);
  });

  it('redacts the password of a URL, keeping user and host', () => {
    expect(redactSecrets('DATABASE_URL is postgres://skillopt:s3cr3t-pw@db.internal:5432/skillopt')).toBe(
      'DATABASE_URL is postgres://skillopt:[REDACTED:url-password]@db.internal:5432/skillopt',
    );
  });

  it.each([
    ['DB_PASSWORD=hunter2', 'DB_PASSWORD=[REDACTED:password]'],
    ['export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'export AWS_SECRET_ACCESS_KEY=[REDACTED:key]'],
    ['{"api_key": "q8w7e6r5t4"}', '{"api_key": "[REDACTED:key]"}'],
    ["const clientSecret = 'x7Yz-99';", "const clientSecret = '[REDACTED:secret]';"],
    ['password: Passw0rd!', 'password: [REDACTED:password]'],
    ['GITHUB_TOKEN: "abc123def"', 'GITHUB_TOKEN: "[REDACTED:token]"'],
    ['https://x.io/cb?client_secret=ab12cd&state=1', 'https://x.io/cb?client_secret=[REDACTED:secret]&state=1'],
    ['X-Api-Key: 0f9e8d7c6b', 'X-Api-Key: [REDACTED:key]'],
    ['token := "s3cr3t"', 'token := "[REDACTED:token]"'],
  ])('redacts the value of %j, keeping the name', (input, output) => {
    expect(redactSecrets(input)).toBe(output);
  });
});

describe('redactSecrets: long values', () => {
  it('redacts a long bare value whole', () => {
    expect(redactSecrets(`SECRET_TOKEN=${'a1'.repeat(400)} next`)).toBe('SECRET_TOKEN=[REDACTED:token] next');
  });
});

describe('redactSecrets: no false positives', () => {
  it.each([
    ['prose', 'The token budget is small, so keep the password policy short and the secret sauce simple.'],
    ['a UUID', 'session 55d26314-4b8d-4c1a-8890-d4a7683afff2 and toolu_01lfyrw5N8vmy7avHD8Pgdla'],
    ['a git sha', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8'],
    ['TypeScript types', 'function login(token: string, password: string): Promise<Session> {'],
    ['code reading secrets', 'const apiKey = process.env.API_KEY;\nconst token = getToken();\nconst secret = config.secret;'],
    ['placeholders', 'API_KEY=$API_KEY\npassword: ${DB_PASSWORD}\ntoken: <your-token>\nsecret: "***"'],
    ['unrelated keys', 'const cacheKey = "user:42";\nprimaryKey: true\n{ key: "item-1" }\nsortKey = "created_at"'],
    ['numbers and flags', 'max_tokens = 4096\ntoken: 3600\npassword_required: true\ntokenCount=12'],
    ['a quoted message', 'placeholder: "Enter your password", password: "Enter your password"'],
    ['hyphenated words', 'pip install scikit-learn; the task-sk-learning-rate-schedule; risk-assessment-matrix-2024'],
    ['the shell working directory', 'PWD=/home/alice/project\nOLDPWD=/home/alice'],
    ['a URL without a password', 'git clone ssh://git@github.com/org/repo.git; open https://example.com:8443/a@b'],
    ['a bare Bearer in prose', 'Bearer of bad news: the build failed.'],
    ['markdown', '## Deploy\n\n1. Run `npm test`.\n2. Build with `npm run build -- --prod`.\n3. `kubectl rollout status deploy/api`'],
  ])('leaves %s untouched', (_label, text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it('is idempotent', () => {
    const text = `AWS ${AWS}\nDB_PASSWORD=hunter2\n${JWT}\npostgres://u:p4ss@h/db\nAuthorization: Bearer abcdef123456\nOPENAI_API_KEY=${OPENAI}\n${PEM}`;
    const once = redactSecrets(text);
    expect(redactSecrets(once)).toBe(once);
    for (const secret of [AWS, 'hunter2', JWT, 'p4ss', 'abcdef123456', OPENAI, 'MIIEowIBAAKCAQEA7x1']) expect(once).not.toContain(secret);
  });

  it('runs in linear time on long unbroken words', () => {
    const blob = `${'a'.repeat(200_000)} ${'x.y-'.repeat(50_000)} ${'k_'.repeat(50_000)} ${'a:'.repeat(50_000)} ${'t=x'.repeat(30_000)}`;
    const started = performance.now();
    expect(redactSecrets(blob)).toBe(blob);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
