// The backend seam on a store this machine holds: the embedded machine and the
// central one (its CLI, and the central worker serving teammates' store
// requests through team/store-requests.ts). The read models beside it
// (skill-report, dashboard-pages, rollout-choice, push-to-store) compose core's
// rules over the store. What belongs to a lane (a decision, the notice of a
// candidate pushed here, status reads) goes through Temporal, opened on first use.
import type { CandidateDecided, CandidateDecision } from '../core/messages';
import type { CanaryTrial, SkillSummary, StoredSkillPage } from '../core/dashboard-views';
import { describeError } from '../core/describe-error';
import type { PushRequest } from '../core/push-rules';
import type { SkillReport } from '../core/skill-reports';
import { DEFAULT_CANARY_SETTINGS, requireRolloutDefaults, rolloutDefaultsFromEnv } from '../core/rollout-rules';
import { DEFAULT_ROLLOUT_POLICY, type RolloutDefaults, type VersionTransition } from '../core/rollout-types';
import type { SkillRef } from '../core/skill-ref';
import type { Signature } from '../core/signing';
import type { KeyChange, OwnerChange, SkillSigners } from '../core/trust';
import type { AttributionRecord, CurrentSkill, SkillVersion, Store } from '../store/types';
import { TRIAL_STARTED, withoutRollout, type Published, type RolloutChange, type TeamBackend } from './backend';
import type { TeamConnection } from './connection';
import { skillSummary, storedSkillPage } from './dashboard-pages';
import { pushToStore } from './push-to-store';
import { versionsForUser } from './rollout-choice';
import { changeOwners, replaceKey, setSignedRollout, signVersion, skillSigners } from './signed-changes';
import { skillReport } from './skill-report';
import { adminKeyFromEnv } from '../local/signing-key';
import type { SkillDetail, SkillStatusRow } from './visibility';

export interface DirectBackendOptions {
  /** The team's rollout policy and canary settings are read from here (SKILLOPT_ROLLOUT, SKILLOPT_CANARY_*). */
  env?: NodeJS.ProcessEnv;
  /** The team's rollout policy and canary settings as given (the central worker's), instead of env's. */
  rollout?: RolloutDefaults;
  /** The team's Temporal, for what belongs to a lane; called on first use. */
  connect?: () => Promise<TeamConnection>;
  /**
   * On the embedded machine, whether `skillopt up` (the lanes' only worker) runs:
   * a candidate pushed while it does not starts its trial when it does.
   */
  upRunning?: () => boolean;
  now?: () => number;
  /** The team's admin key (hex), which may replace a person's key; default SKILLOPT_ADMIN_KEY of `env`. */
  adminKey?: string;
}

// Loaded on first use: most commands on this machine never need the Temporal client.
const lanes = () => import('./lanes');
const visibility = () => import('./visibility');

/**
 * The backend on `store`, or on the store `openStore` opens at first use (a
 * status read or a decision never opens it). The dashboard's pages show the
 * defaults and say why when the environment's rollout settings are malformed;
 * every other read refuses.
 */
export function directBackend(store: Store | (() => Promise<Store>), options: DirectBackendOptions = {}): DirectBackend {
  return new DirectBackend(store, options);
}

export class DirectBackend implements TeamBackend {
  readonly via = 'store';
  private opened: Promise<Store> | undefined;
  private connection: Promise<TeamConnection> | undefined;

  constructor(
    private readonly store: Store | (() => Promise<Store>),
    private readonly options: DirectBackendOptions,
  ) {
    if (typeof store !== 'function') this.opened = Promise.resolve(store);
  }

  private db(): Promise<Store> {
    return (this.opened ??= (this.store as () => Promise<Store>)());
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The team's rollout defaults; a malformed SKILLOPT_ROLLOUT or SKILLOPT_CANARY_* is a one-line error. */
  rolloutDefaults(): RolloutDefaults {
    return this.options.rollout ?? requireRolloutDefaults(this.options.env ?? process.env);
  }

  /** The dashboard's: the defaults, with a note saying why, when the environment's are malformed. */
  private pageDefaults(): { defaults: RolloutDefaults; note?: string } {
    if (this.options.rollout) return { defaults: this.options.rollout };
    const read = rolloutDefaultsFromEnv(this.options.env ?? process.env);
    if (!('error' in read)) return { defaults: read.defaults };
    return { defaults: { policy: DEFAULT_ROLLOUT_POLICY, canary: { ...DEFAULT_CANARY_SETTINGS } }, note: `${read.error}; the defaults are shown` };
  }

  /** The team's admin key: given, else SKILLOPT_ADMIN_KEY where this store is. */
  private adminKey(): string | undefined {
    return this.options.adminKey ?? adminKeyFromEnv(this.options.env);
  }

  temporal(): Promise<TeamConnection> {
    if (!this.options.connect) return Promise.reject(new Error('no Temporal connection was given to this store backend'));
    return (this.connection ??= this.options.connect());
  }

  /** Every skill's current versions, by name then author. */
  async skills(): Promise<CurrentSkill[]> {
    return (await this.db()).listCurrent();
  }

  async current(ref: SkillRef): Promise<SkillVersion | undefined> {
    const store = await this.db();
    return (await store.stableVersion(ref)) ?? (await store.latestVersion(ref));
  }

  async getVersion(ref: SkillRef, version: number): Promise<SkillVersion | undefined> {
    return (await this.db()).getVersion(ref, version);
  }

  async history(ref: SkillRef): Promise<SkillVersion[]> {
    return (await this.db()).history(ref);
  }

  async transitions(ref: SkillRef): Promise<VersionTransition[]> {
    return (await this.db()).transitions(ref);
  }

  /** Always whole versions: everything is local. */
  async list(user: string): Promise<SkillVersion[]> {
    return versionsForUser(await this.db(), user, this.rolloutDefaults());
  }

  async contents(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    return (await this.db()).getContents(hashes);
  }

  async signers(ref: SkillRef): Promise<SkillSigners> {
    return skillSigners(await this.db(), ref, this.adminKey());
  }

  async missingContents(hashes: readonly string[]): Promise<string[]> {
    return (await this.db()).missingContents(hashes);
  }

  async putContents(chunks: ReadonlyArray<{ hash: string; data: Uint8Array }>): Promise<void> {
    await (await this.db()).putContents(chunks);
  }

  async publish(request: PushRequest): Promise<Published> {
    const outcome = withoutRollout(await pushToStore(await this.db(), request));
    // A candidate (a --canary push, or a proposal awaiting an owner) is its lane's to run.
    if (outcome.status === 'refused' || outcome.status === 'up-to-date' || !(request.canary || outcome.proposal)) return outcome;
    return { ...outcome, trial: await this.startTrial(request.ref, outcome.version) };
  }

  /** A candidate written straight to the store is one its lane did not publish: the lane is told, and its trial starts now. */
  private async startTrial(ref: SkillRef, version: number): Promise<string> {
    if (this.options.upRunning && !this.options.upRunning()) return 'skillopt up is not running: the canary trial starts when it does';
    try {
      const team = await this.temporal();
      await (await lanes()).tellLaneOfCandidate(team.client, team.taskQueue, ref, version);
      return TRIAL_STARTED;
    } catch (err) {
      return `its lane could not be told (${describeError(err)}); the canary trial starts with the candidate's first verdict`;
    }
  }

  async reportOf(ref: SkillRef, since: string): Promise<SkillReport | undefined> {
    return skillReport(await this.db(), ref, since, this.rolloutDefaults());
  }

  async reports({ ref, since }: { ref?: SkillRef; since: string }): Promise<SkillReport[]> {
    const [store, defaults] = [await this.db(), this.rolloutDefaults()];
    const reports: SkillReport[] = [];
    for (const r of ref ? [ref] : await store.listCurrent()) {
      const report = await skillReport(store, { name: r.name, author: r.author }, since, defaults);
      if (report) reports.push(report);
    }
    return reports;
  }

  async summaryOf(skill: CurrentSkill): Promise<SkillSummary> {
    return skillSummary(await this.db(), skill, this.rolloutDefaults(), this.now());
  }

  async skillSummaries(): Promise<SkillSummary[]> {
    const [store, { defaults }] = [await this.db(), this.pageDefaults()];
    return Promise.all((await store.listCurrent()).map((skill) => skillSummary(store, skill, defaults, this.now())));
  }

  async skillPage(ref: SkillRef, trial?: CanaryTrial): Promise<StoredSkillPage | undefined> {
    const { defaults, note } = this.pageDefaults();
    const page = await storedSkillPage(await this.db(), ref, defaults, this.now(), trial);
    if (page && note) page.rollout.settingsNote ??= note;
    return page;
  }

  async setRollout(ref: SkillRef, change: RolloutChange): Promise<void> {
    await setSignedRollout(await this.db(), ref, change, this.now());
  }

  async changeOwners(ref: SkillRef, change: OwnerChange): Promise<string[]> {
    return [...(await changeOwners(await this.db(), ref, change, this.now()))].sort();
  }

  async signVersion(ref: SkillRef, version: number, approval: Signature): Promise<void> {
    await signVersion(await this.db(), ref, version, approval);
  }

  async replaceKey(change: KeyChange): Promise<void> {
    await replaceKey(await this.db(), change, this.adminKey(), this.now());
  }

  async decide(ref: SkillRef, decision: CandidateDecision): Promise<CandidateDecided> {
    return (await lanes()).decideOnLane(await this.temporal(), ref, decision);
  }

  async recordAttribution(attribution: Omit<AttributionRecord, 'createdAt'>): Promise<void> {
    await (await this.db()).recordAttribution(attribution);
  }

  async skillsStatus(now: Date): Promise<{ rows: SkillStatusRow[]; notes: string[] }> {
    return (await visibility()).collectSkills((await this.temporal()).client, now);
  }

  async skillStatus(ref: SkillRef, limit: number): Promise<{ detail: SkillDetail; truncated: boolean }> {
    return (await visibility()).collectSkill((await this.temporal()).client, ref, limit);
  }

  async close(): Promise<void> {
    // A store handed in is its owner's to close; one opened here, and the connection, are this backend's.
    const [own, team] = [typeof this.store === 'function' ? this.opened : undefined, this.connection];
    if (own) this.opened = undefined;
    this.connection = undefined;
    await Promise.all([own?.then((s) => s.close()), team?.then((c) => c.close())].map((p) => p?.catch(() => undefined)));
  }
}
