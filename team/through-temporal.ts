// The backend seam through Temporal: a teammate's machine, which holds only the
// Temporal client settings. Reads are store requests served by the central
// worker (team/store-requests.ts dispatches them to its direct backend), page by
// page; a push and a decision are updates on the skill's lane; an attribution
// row is a started (not awaited) store request.
import { batches } from '../core/batches';
import { randomUUID } from 'node:crypto';
import { MAX_CONTENT_BYTES_PER_REQUEST, MAX_HASHES_PER_REQUEST, MAX_KNOWN_REFS, MAX_SIGNERS_PER_REQUEST, receivedSkillRecord, type ContentChunk, type ReceivedSkillRecord, type StoreReply, type StoreRequest } from '../core/messages';
import { legacyFrontmatter } from '../core/skill-document';
import type { SkillRef } from '../core/skill-ref';
import type { SkillSigners } from '../core/trust';
import type { SkillVersion } from '../store/types';
import { STORE_REQUEST_WORKFLOW_TYPE } from '../workflows/definitions';
import type { storeRequestWorkflow } from '../workflows/store-request-workflow';
import { TRIAL_STARTED, withoutRollout, type TeamBackend } from './backend';
import { READ_TIMEOUT_MS, RemoteError, askStore, remoteError, type StoreRequestOptions, type TeamConnection } from './connection';
import { decideOnLane, pushThroughLane } from './lanes';
import type { ListedSkill } from './skill-source';
import { collectSkill, collectSkills } from './visibility';

const received = (record: ReceivedSkillRecord): SkillVersion => receivedSkillRecord(record, legacyFrontmatter);
const asVersion = (record: ReceivedSkillRecord | null): SkillVersion | undefined => (record ? received(record) : undefined);
const refOnly = (r: SkillRef): SkillRef => ({ name: r.name, author: r.author });

/** Store requests carrying contents sent at once: the round trips overlap, the central worker's activities run side by side. */
const CONTENT_REQUESTS_IN_FLIGHT = 4;

/** Runs `work` on every item, at most `limit` at a time; the first failure fails it all. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}

/** Every page of a paged store request, its items in order. */
async function allPages<Reply extends { next?: Cursor }, Item, Cursor>(ask: (after: Cursor | undefined) => Promise<Reply>, items: (reply: Reply) => Item[]): Promise<Item[]> {
  const all: Item[] = [];
  let after: Cursor | undefined;
  do {
    const reply = await ask(after);
    all.push(...items(reply));
    after = reply.next;
  } while (after !== undefined);
  return all;
}

/**
 * `signers` for one skill, asked together with every other skill asked in the
 * same tick: a pull checking fifty skills makes one round trip, not fifty.
 */
function signersInBatches(ask: (refs: SkillRef[]) => Promise<SkillSigners[]>): (ref: SkillRef) => Promise<SkillSigners> {
  let waiting: { ref: SkillRef; resolve: (s: SkillSigners) => void; reject: (err: unknown) => void }[] = [];
  const send = async (batch: typeof waiting) => {
    try {
      const replies = await ask(batch.map((w) => w.ref));
      batch.forEach((w, i) => (replies[i] ? w.resolve(replies[i]) : w.reject(new RemoteError('the central worker sent no signers for a skill: upgrade skillopt on both sides'))));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };
  return (ref) =>
    new Promise((resolve, reject) => {
      waiting.push({ ref, resolve, reject });
      if (waiting.length > 1) return;
      queueMicrotask(() => {
        const all = waiting;
        waiting = [];
        for (const batch of batches(all, MAX_SIGNERS_PER_REQUEST)) void send(batch);
      });
    });
}

/** `options.onReply` sees every request and its reply (tests: what a pull transferred). */
export function temporalBackend(team: TeamConnection, options: StoreRequestOptions = {}): TeamBackend {
  const ask = <Op extends StoreReply['op']>(request: StoreRequest & { op: Op }) => askStore<Op>(team, request, options);
  const page = <T>(after: T | undefined): { after?: T } => (after === undefined ? {} : { after });
  return {
    via: 'temporal',
    current: async (ref) => asVersion((await ask({ op: 'latest', ref: refOnly(ref) })).record),
    getVersion: async (ref, version) => asVersion((await ask({ op: 'version', ref: refOnly(ref), version })).record),
    transitions: async (ref) => (await ask({ op: 'transitions', ref: refOnly(ref) })).transitions,
    history: (ref) =>
      allPages(
        (after: number | undefined) => ask({ op: 'history', ref: refOnly(ref), ...page(after) }),
        (reply) => reply.versions.map(received),
      ),
    list(user, knownMap) {
      // Past MAX_KNOWN_REFS the rest are simply fetched whole: the request stays small.
      const known = knownMap && knownMap.size > 0 ? Object.fromEntries([...knownMap].slice(0, MAX_KNOWN_REFS)) : undefined;
      return allPages(
        (after: string | undefined) => ask({ op: 'list', user, ...(known ? { known } : {}), ...page(after) }),
        (reply) => reply.items.map((item): ListedSkill => ('unchanged' in item ? item : received(item))),
      );
    },
    async missingContents(hashes) {
      const missing: string[] = [];
      for (const batch of batches(hashes, MAX_HASHES_PER_REQUEST)) missing.push(...(await ask({ op: 'missingContents', hashes: batch })).missing);
      return missing;
    },
    async putContents(chunks) {
      // Requests of at most MAX_CONTENT_BYTES_PER_REQUEST (one whole chunk always fits), a few in flight.
      const requests: ContentChunk[][] = [];
      let batch: ContentChunk[] = [];
      let bytes = 0;
      for (const { hash, data } of chunks) {
        if (batch.length > 0 && (bytes + data.length > MAX_CONTENT_BYTES_PER_REQUEST || batch.length >= MAX_HASHES_PER_REQUEST)) {
          requests.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push({ hash, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') });
        bytes += data.length;
      }
      if (batch.length > 0) requests.push(batch);
      await inParallel(requests, CONTENT_REQUESTS_IN_FLIGHT, async (chunks) => void (await ask({ op: 'putContents', chunks })));
    },
    async contents(hashes) {
      const found = new Map<string, Uint8Array>();
      const wanted = [...new Set(hashes)];
      // A few lanes in flight, each asking for its share until every hash is answered.
      const lanes = Array.from({ length: CONTENT_REQUESTS_IN_FLIGHT }, (_, lane) => wanted.filter((_h, i) => i % CONTENT_REQUESTS_IN_FLIGHT === lane));
      await inParallel(lanes, CONTENT_REQUESTS_IN_FLIGHT, async (share) => {
        let rest = share;
        while (rest.length > 0) {
          // Each reply carries as many as fit; those it left out are asked for again.
          const asked = rest.slice(0, MAX_HASHES_PER_REQUEST);
          const reply = await ask({ op: 'contents', hashes: asked });
          for (const chunk of reply.chunks) found.set(chunk.hash, new Uint8Array(Buffer.from(chunk.data, 'base64')));
          const unknown = new Set(reply.unknown);
          const done = new Set(asked.filter((h) => found.has(h) || unknown.has(h)));
          if (done.size === 0) throw new RemoteError('the central worker sent no contents for a contents request: upgrade skillopt on both sides');
          rest = rest.filter((h) => !done.has(h));
        }
      });
      return found;
    },
    signers: signersInBatches(async (refs) => (await ask({ op: 'signers', refs: refs.map(refOnly) })).signers),
    async publish(request) {
      // The lane that published a candidate has put it on trial already; its rollout is the lane's own business.
      const outcome = await pushThroughLane(team, request);
      return outcome.status !== 'refused' && outcome.candidate ? { ...withoutRollout(outcome), trial: TRIAL_STARTED } : withoutRollout(outcome);
    },
    async reports({ ref, since }) {
      if (ref) return (await ask({ op: 'report', ref: refOnly(ref), since })).skills;
      return allPages(
        (after: string | undefined) => ask({ op: 'report', since, ...page(after) }),
        (reply) => reply.skills,
      );
    },
    skillSummaries: () =>
      allPages(
        (after: string | undefined) => ask({ op: 'skillSummaries', ...page(after) }),
        (reply) => reply.skills,
      ),
    async skillPage(ref, trial) {
      const reply = await ask({ op: 'skillPage', ref: refOnly(ref), ...(trial ? { trial: { version: trial.version, since: trial.since } } : {}) });
      return reply.page ?? undefined;
    },
    async setRollout(ref, { policy, canary, precheck, by, at, signature }) {
      await ask({ op: 'setRollout', ref: refOnly(ref), policy, ...(canary ? { canary } : {}), ...(precheck ? { precheck } : {}), by, at, signature });
    },
    changeOwners: async (ref, change) => (await ask({ op: 'changeOwners', ref: refOnly(ref), ...change })).owners,
    async signVersion(ref, version, approval) {
      await ask({ op: 'signVersion', ref: refOnly(ref), version, approval });
    },
    async replaceKey(change) {
      await ask({ op: 'replaceKey', ...change });
    },
    decide: (ref, decision) => decideOnLane(team, ref, decision),
    async recordAttribution(attribution) {
      try {
        // Started, not awaited: the hook's time is short. A row no worker records within a day is not worth more.
        await team.client.workflow.start<typeof storeRequestWorkflow>(STORE_REQUEST_WORKFLOW_TYPE, {
          workflowId: `attribution:${attribution.sessionId}:${randomUUID()}`,
          taskQueue: team.taskQueue,
          args: [{ op: 'recordAttribution', attribution } satisfies StoreRequest],
          workflowExecutionTimeout: '1 day',
        });
      } catch (err) {
        throw remoteError(team, err, READ_TIMEOUT_MS);
      }
    },
    skillsStatus: (now) => collectSkills(team.client, now),
    skillStatus: (ref, limit) => collectSkill(team.client, ref, limit),
    temporal: async () => team,
    close: () => team.close(),
  };
}
