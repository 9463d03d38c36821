// The central worker's side of the seam: a teammate's store request (one page of
// a read, a rollout change, an attribution row), answered by the direct backend
// on the worker's store. Each op is one line over a backend method; what is
// paged is cut here, to far below Temporal's payload limit.
import { MAX_READ_PAGE_BYTES } from '../core/limits';
import { MAX_CONTENT_BYTES_PER_REQUEST, MAX_TRANSITIONS_LISTED, type ContentChunk, type SkillRecord, type SkillStub, type StoreReply, type StoreRequest } from '../core/messages';
import { formatSkillRef } from '../core/skill-ref';
import type { CurrentSkill } from '../store/types';
import type { DirectBackend } from './direct';
import { SignatureRefusedError } from './signed-changes';

/** Contents read from the store per query while a contents reply fills (a reply holds about one whole chunk). */
const CONTENTS_READ_AT_ONCE = 4;

/** Takes items while their JSON fits in MAX_READ_PAGE_BYTES (at least one); `more` when some were left. */
function page<T>(items: T[]): { taken: T[]; more: boolean } {
  const taken: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item), 'utf8') + 1;
    if (taken.length > 0 && bytes + size > MAX_READ_PAGE_BYTES) return { taken, more: true };
    taken.push(item);
    bytes += size;
  }
  return { taken, more: false };
}

/**
 * One page of something built per skill, by name then author, after the ref
 * `after`: built one at a time while the page fits in MAX_READ_PAGE_BYTES.
 * `next` is the last ref on the page when more follow.
 */
async function pageOfSkills<T>(backend: DirectBackend, after: string | undefined, build: (skill: CurrentSkill) => Promise<T | undefined>): Promise<{ items: T[]; next?: string }> {
  const skills = await backend.skills();
  // The cursor is the last ref of the previous page; refs are never deleted, so it is always found.
  const from = after === undefined ? 0 : skills.findIndex((s) => formatSkillRef(s) === after) + 1;
  const items: T[] = [];
  let bytes = 0;
  let last: CurrentSkill | undefined;
  for (const skill of skills.slice(from)) {
    const item = await build(skill);
    if (item === undefined) continue;
    const size = Buffer.byteLength(JSON.stringify(item), 'utf8') + 1;
    // This one goes on the next page; it is built again there (a page is far bigger than one skill's item).
    if (items.length > 0 && bytes + size > MAX_READ_PAGE_BYTES) return { items, next: formatSkillRef(last!) };
    items.push(item);
    bytes += size;
    last = skill;
  }
  return { items };
}

/** The reply to one store request, from the direct backend. */
export async function serveStoreRequest(backend: DirectBackend, request: StoreRequest): Promise<StoreReply> {
  switch (request.op) {
    case 'latest':
      return { op: 'latest', record: (await backend.current(request.ref)) ?? null };
    case 'version':
      return { op: 'version', record: (await backend.getVersion(request.ref, request.version)) ?? null };
    case 'history': {
      const after = request.after ?? 0;
      const { taken, more } = page((await backend.history(request.ref)).filter((v) => v.version > after));
      return { op: 'history', versions: taken, ...(more ? { next: taken.at(-1)!.version } : {}) };
    }
    case 'list': {
      // What this user gets: stable, or the candidate for the canary cohort (the worker's settings).
      const all = await backend.list(request.user ?? '');
      const from = request.after === undefined ? 0 : all.findIndex((v) => formatSkillRef(v) === request.after) + 1;
      const known = request.known ?? {};
      const listed = all.slice(from).map((v): SkillRecord | SkillStub => {
        const have = known[formatSkillRef(v)];
        // Equal, not "at least": a reverted candidate sends the cohort back to an older stable version.
        return have === v.version ? { name: v.name, author: v.author, version: v.version, unchanged: true } : v;
      });
      const { taken, more } = page(listed);
      return { op: 'list', items: taken, ...(more ? { next: formatSkillRef(taken.at(-1)!) } : {}) };
    }
    case 'recordAttribution':
      await backend.recordAttribution(request.attribution);
      return { op: 'recordAttribution' };
    case 'transitions':
      return { op: 'transitions', transitions: (await backend.transitions(request.ref)).slice(-MAX_TRANSITIONS_LISTED) };
    case 'setRollout': {
      const { ref, policy, canary, precheck, by, at, signature } = request;
      if (at === undefined || signature === undefined) throw new SignatureRefusedError('the rollout change is not signed: upgrade skillopt on this machine (changes are signed since 0.6)');
      await backend.setRollout(ref, { policy, ...(canary ? { canary } : {}), ...(precheck ? { precheck } : {}), by, at, signature });
      return { op: 'setRollout' };
    }
    case 'changeOwners': {
      const { ref, ...change } = request;
      const owners = await backend.changeOwners(ref, { action: change.action, user: change.user, at: change.at, signature: change.signature });
      return { op: 'changeOwners', owners };
    }
    case 'signVersion':
      await backend.signVersion(request.ref, request.version, request.approval);
      return { op: 'signVersion' };
    case 'replaceKey':
      await backend.replaceKey({ user: request.user, key: request.key, at: request.at, signature: request.signature });
      return { op: 'replaceKey' };
    case 'report': {
      if (request.ref) return { op: 'report', skills: await backend.reports({ ref: request.ref, since: request.since }) };
      const { items, next } = await pageOfSkills(backend, request.after, (skill) => backend.reportOf(skill, request.since));
      return { op: 'report', skills: items, ...(next ? { next } : {}) };
    }
    case 'skillSummaries': {
      const { items, next } = await pageOfSkills(backend, request.after, (skill) => backend.summaryOf(skill));
      return { op: 'skillSummaries', skills: items, ...(next ? { next } : {}) };
    }
    case 'skillPage':
      return { op: 'skillPage', page: (await backend.skillPage(request.ref, request.trial)) ?? null };
    case 'missingContents':
      return { op: 'missingContents', missing: await backend.missingContents(request.hashes) };
    case 'putContents':
      await backend.putContents(request.chunks.map((c) => ({ hash: c.hash, data: Buffer.from(c.data, 'base64') })));
      return { op: 'putContents' };
    case 'contents': {
      // Read a few at a time and stop when the reply is full: the rest are asked for again, and never read twice meanwhile.
      const unknown = await backend.missingContents(request.hashes);
      const absent = new Set(unknown);
      const held = request.hashes.filter((h) => !absent.has(h));
      const chunks: ContentChunk[] = [];
      let bytes = 0;
      reading: for (let i = 0; i < held.length; i += CONTENTS_READ_AT_ONCE) {
        const group = held.slice(i, i + CONTENTS_READ_AT_ONCE);
        const found = await backend.contents(group);
        for (const hash of group) {
          const data = found.get(hash);
          if (!data) continue;
          if (chunks.length > 0 && bytes + data.length > MAX_CONTENT_BYTES_PER_REQUEST) break reading;
          chunks.push({ hash, data: Buffer.from(data).toString('base64') });
          bytes += data.length;
        }
      }
      return { op: 'contents', chunks, unknown };
    }
    case 'signers':
      return { op: 'signers', signers: await Promise.all(request.refs.map((ref) => backend.signers(ref))) };
  }
}
