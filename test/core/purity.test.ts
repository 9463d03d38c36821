// core/ is imported by workflow code, which runs in Temporal's deterministic
// sandbox: no Node built-ins (fingerprint's and content-hash's node:crypto excepted: workflows
// never import it), no I/O, no clock or randomness inside logic.
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const coreDir = fileURLToPath(new URL('../../core/', import.meta.url));
const files = readdirSync(coreDir).filter((f) => f.endsWith('.ts'));
const ALLOWED_BUILTINS: Record<string, string[]> = { 'fingerprint.ts': ['node:crypto'], 'content-hash.ts': ['node:crypto'] };
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function source(file: string): string {
  return readFileSync(coreDir + file, 'utf8');
}

function imports(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');
}

function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('core/ stays pure', () => {
  it('has modules to check', () => {
    expect(files).toEqual(expect.arrayContaining(['verdict.ts', 'edits.ts', 'transcript.ts', 'fingerprint.ts']));
  });

  it.each(files)('%s imports no Node built-in and nothing outside core', (file) => {
    for (const spec of imports(source(file))) {
      if (builtins.has(spec)) expect(ALLOWED_BUILTINS[file] ?? [], `${file} imports ${spec}`).toContain(spec);
      expect(spec.startsWith('../'), `${file} imports ${spec}`).toBe(false);
    }
  });

  it.each(files)('%s reads no clock, randomness, environment or network', (file) => {
    const text = code(source(file));
    for (const banned of [/\bDate\.now\s*\(/, /\bnew Date\s*\(/, /\bMath\.random\s*\(/, /\bprocess\./, /\brequire\s*\(/, /\bfetch\s*\(/, /\bsetTimeout\s*\(/]) {
      expect(text, `${file} uses ${banned.source}`).not.toMatch(banned);
    }
  });
});
