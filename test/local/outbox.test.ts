// The outbox's own rules, in-process: which spooled files can be delivered.
import { describe, expect, it } from 'vitest';
import { SignalNames } from '../../core/messages';
import { validateOutboxEvent } from '../../local/outbox/event';

describe('validateOutboxEvent', () => {
  const invoked = {
    v: 2,
    createdAt: '2025-01-01T00:00:00.000Z',
    ref: { name: 'deploy', author: 'alice' },
    workflowId: 'invocation:deploy--alice:s1:toolu_1',
    config: { judgeWindow: 3 },
    signal: 'invoked',
    payload: { eventId: 'e1', sessionId: 's1', toolUseId: 'toolu_1', user: 'bob', agent: 'claude_code', transcriptPath: '/t.jsonl', transcriptBytes: 10 },
  };
  const reaction = {
    ...invoked,
    signal: 'reaction',
    payload: { eventId: 'e2', sessionId: 's1', text: 'no, that was wrong', transcriptPath: '/t.jsonl', transcriptBytes: 20 },
  };

  it('accepts each signal the invocation workflow takes, with the payload its handler checks', () => {
    expect(validateOutboxEvent(invoked)).toMatchObject({ signal: 'invoked', workflowId: 'invocation:deploy--alice:s1:toolu_1' });
    const { config: _config, ...noConfig } = reaction;
    expect(validateOutboxEvent(noConfig)).toMatchObject({ signal: 'reaction' });
    expect(validateOutboxEvent({ ...noConfig, signal: 'superseded', payload: { eventId: 'e3', byToolUseId: 'toolu_2' } })).toMatchObject({ signal: 'superseded' });
    expect(validateOutboxEvent({ ...noConfig, signal: 'sessionEnded', payload: { eventId: 'e4', reason: 'clear' } })).toMatchObject({ signal: 'sessionEnded' });
  });

  it('spools only signals the workflows define', () => {
    const kinds = ['invoked', 'reaction', 'superseded', 'sessionEnded'];
    for (const kind of kinds) expect(Object.values(SignalNames)).toContain(kind);
  });

  it.each([
    ['not an object', 42],
    ['an event of the one-workflow design (v1)', { ...invoked, v: 1, workflowId: 'skill:deploy--alice' }],
    ['an invalid ref', { ...invoked, ref: { name: '../x', author: 'alice' }, workflowId: 'invocation:../x--alice:s1:t' }],
    ['a workflow id of another skill', { ...invoked, workflowId: 'invocation:somebody-else--mallory:s1:toolu_1' }],
    ['an unknown signal', { ...invoked, signal: 'cancel' }],
    ['no event id', { ...invoked, payload: { ...invoked.payload, eventId: '' } }],
    ['a reaction whose text is not a string', { ...reaction, payload: { ...reaction.payload, text: 42 } }],
    ['a zero window', { ...invoked, config: { judgeWindow: 0 } }],
    ['an invoked event without its config', { ...invoked, config: undefined }],
  ])('refuses %s, saying why in one line', (_name, data) => {
    const problem = validateOutboxEvent(data);
    expect(typeof problem).toBe('string');
    expect(problem as string).not.toContain('\n');
  });
});
