// The one rule that tells a teammate's machine from the embedded default and the central part.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineMode, machineQueue } from '../../local/mode';

const home = () => mkdtempSync(join(tmpdir(), 'skillopt-mode-'));

describe('machineMode', () => {
  it('is embedded with neither Temporal settings nor a database URL', () => {
    expect(machineMode({ HOME: home() }).mode).toBe('embedded');
  });

  it('is a teammate with only Temporal settings, saying which', () => {
    const reading = machineMode({ HOME: home(), TEMPORAL_ADDRESS: 'temporal.example:7233' });
    expect(reading.mode).toBe('teammate');
    expect(reading.why).toContain('TEMPORAL_ADDRESS');
    expect(machineMode({ HOME: home(), TEMPORAL_API_KEY: 'k' }).mode).toBe('teammate');
  });

  it('is a teammate with a temporal.toml profile and nothing in the environment', () => {
    const h = home();
    mkdirSync(join(h, '.config', 'temporalio'), { recursive: true });
    writeFileSync(join(h, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "t:7233"\n');
    const reading = machineMode({ HOME: h });
    expect(reading.mode).toBe('teammate');
    expect(reading.why).toContain('temporal.toml');
  });

  it('is central with a database URL, whatever else is set', () => {
    expect(machineMode({ HOME: home(), SKILLOPT_DATABASE_URL: 'postgres://x', TEMPORAL_ADDRESS: 't:7233' }).mode).toBe('central');
  });
});

describe('machineQueue', () => {
  it('is stable per user and machine, and differs between users and homes', () => {
    const h = home();
    const q = machineQueue(h, { SKILLOPT_USER: 'Bob Smith' });
    expect(q).toMatch(/^skillopt-machine-bob_smith-[a-z0-9]{8,32}$/);
    expect(machineQueue(h, { SKILLOPT_USER: 'Bob Smith' })).toBe(q);
    expect(machineQueue(h, { SKILLOPT_USER: 'alice' })).not.toBe(q);
    expect(machineQueue(home(), { SKILLOPT_USER: 'Bob Smith' })).not.toBe(q);
  });

  it('replaces a broken id file', () => {
    const h = home();
    writeFileSync(join(h, 'machine-id'), 'not an id!\n');
    const q = machineQueue(h, { SKILLOPT_USER: 'bob' });
    expect(q).toMatch(/^skillopt-machine-bob-[a-z0-9]{8,32}$/);
    expect(readFileSync(join(h, 'machine-id'), 'utf8').trim()).toBe(q.split('-').pop());
  });
});
