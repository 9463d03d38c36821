// The central part's Temporal namespace as skillopt needs it: the namespace
// exists and skillopt's search attributes are registered with their types.
// One check for the production worker (before it polls) and `skillopt doctor`,
// and `skillopt setup`, which makes it so where the server allows it. Every
// problem is one line with the command that fixes it.
import { isGrpcServiceError, type Connection } from '@temporalio/client';
// The SDK's own Duration → protobuf Duration (its seconds are a Long).
import { msToTs } from '@temporalio/common/lib/time.js';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** What the checks call: a client's Connection, or a worker's NativeConnection. */
export type TemporalServices = Pick<Connection, 'workflowService' | 'operatorService' | 'withDeadline'>;

/** `IndexedValueType` numbers (temporal.api.enums.v1) by the SDK's SearchAttributeType names. */
export const INDEXED_VALUE_TYPES: Record<string, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };
/** The type names the Temporal CLI and the Cloud UI use. */
const TYPE_NAMES: Record<string, string> = { TEXT: 'Text', KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };
const typeName = (indexedValueType: number): string =>
  TYPE_NAMES[Object.keys(INDEXED_VALUE_TYPES).find((k) => INDEXED_VALUE_TYPES[k] === indexedValueType) ?? ''] ?? `type ${indexedValueType}`;

/** How long closed workflows stay listable when `skillopt setup` creates the namespace: a week of invocations by verdict. */
export const SETUP_RETENTION_DAYS = 7;
const CALL_TIMEOUT_MS = 5_000;
/** A new namespace reaches every frontend's cache within its refresh interval (10 s by default). */
const NEW_NAMESPACE_WAIT_MS = 30_000;
/**
 * New search attributes are a change of the namespace's config, which the
 * history service sees after its namespace cache refresh (system.namespaceCacheRefreshInterval,
 * 10 s by default): a workflow that sets one sooner fails its task, so setup waits it out.
 */
export const NAMESPACE_CACHE_REFRESH_MS = 11_000;

export interface NamespaceProblem {
  /** The doctor line it belongs to. */
  id: 'namespace' | 'search-attributes';
  detail: string;
  fix: string;
}

/** One line for a person, the fix after it (what the worker prints before it exits). */
export function problemLine(problem: NamespaceProblem): string {
  return `${problem.detail}; fix: ${problem.fix}`;
}

/** A setup step the server refused: the message is the one line to show. */
export class CentralSetupError extends Error {
  override name = 'CentralSetupError';
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

/** The gRPC status codes these calls tell apart (grpc-js is not a dependency of ours). */
const GRPC = { NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16 } as const;
const isCode = (err: unknown, code: number): boolean => isGrpcServiceError(err) && (err as { code?: unknown }).code === code;
/** The server (or its auth) refuses these settings the call: on Temporal Cloud a key may not use the operator API. */
export const isRefusal = (err: unknown): boolean => [GRPC.PERMISSION_DENIED, GRPC.UNIMPLEMENTED, GRPC.UNAUTHENTICATED].some((code) => isCode(err, code));

const call = <T>(services: TemporalServices, fn: () => Promise<T>): Promise<T> => services.withDeadline(Date.now() + CALL_TIMEOUT_MS, fn);

const SETUP = 'run `skillopt setup` with the same Temporal settings (it creates the namespace and registers the search attributes where the server allows it)';

/** The namespace: undefined when it exists. Other failures (auth, network) are thrown. */
export async function namespaceProblem(services: TemporalServices, namespace: string): Promise<NamespaceProblem | undefined> {
  try {
    await call(services, () => services.workflowService.describeNamespace({ namespace }));
    return undefined;
  } catch (err) {
    if (!isCode(err, GRPC.NOT_FOUND)) throw err;
    return { id: 'namespace', detail: `namespace ${namespace} does not exist`, fix: `${SETUP}, or set TEMPORAL_NAMESPACE to the team's namespace` };
  }
}

interface AttributeGaps {
  missing: (typeof ALL_SEARCH_ATTRIBUTES)[number][];
  wrongType: string[];
  /** Every custom attribute the namespace has, by name: its IndexedValueType. */
  custom: Record<string, number>;
}

/**
 * The namespace's search attributes. A namespace just created is refused as
 * not found until the frontends' namespace cache has it (describeNamespace
 * reads the database and sees it sooner): wait up to `waitMs` for that.
 */
async function listSearchAttributes(services: TemporalServices, namespace: string, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await call(services, () => services.operatorService.listSearchAttributes({ namespace }));
    } catch (err) {
      if (!isCode(err, GRPC.NOT_FOUND) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

async function attributeGaps(services: TemporalServices, namespace: string, waitMs = 0): Promise<AttributeGaps> {
  const response = await listSearchAttributes(services, namespace, waitMs);
  const custom = Object.fromEntries(Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  const registered: Record<string, number> = { ...Object.fromEntries(Object.entries(response.systemAttributes ?? {}).map(([n, t]) => [n, Number(t)])), ...custom };
  const missing: AttributeGaps['missing'] = [];
  const wrongType: string[] = [];
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const found = registered[key.name];
    if (found === undefined) missing.push(key);
    else if (found !== INDEXED_VALUE_TYPES[key.type]) wrongType.push(`${key.name} is ${typeName(found)}, not ${TYPE_NAMES[key.type]}`);
  }
  return { missing, wrongType, custom };
}

/** The `temporal operator search-attribute create` flags for some of skillopt's attributes. */
function createFlags(keys: readonly (typeof ALL_SEARCH_ATTRIBUTES)[number][]): string {
  return keys.map((k) => `--name ${k.name} --type ${TYPE_NAMES[k.type]}`).join(' ');
}

/**
 * Skillopt's search attributes: undefined when all are registered with their
 * types. `waitMs`: how long a namespace the frontends do not serve yet is waited for.
 */
export async function searchAttributesProblem(services: TemporalServices, namespace: string, waitMs = 0): Promise<NamespaceProblem | undefined> {
  let gaps: AttributeGaps;
  try {
    gaps = await attributeGaps(services, namespace, waitMs);
  } catch (err) {
    if (!isCode(err, GRPC.NOT_FOUND)) throw err;
    return {
      id: 'search-attributes',
      detail: `namespace ${namespace} exists but Temporal does not serve it yet (${firstLine(err)}; a new namespace reaches every frontend within about ten seconds)`,
      fix: 'try again in a minute',
    };
  }
  const { missing, wrongType } = gaps;
  if (wrongType.length > 0) {
    return {
      id: 'search-attributes',
      detail: `in namespace ${namespace}, ${wrongType.join('; ')}`,
      fix: 'another application uses these names with another type: give skillopt a namespace of its own (TEMPORAL_NAMESPACE, then `skillopt setup`)',
    };
  }
  if (missing.length === 0) return undefined;
  return {
    id: 'search-attributes',
    detail: `namespace ${namespace} lacks skillopt's search attributes ${missing.map((k) => k.name).join(', ')} (workflows that set them fail their tasks)`,
    fix: `${SETUP}; or \`temporal operator search-attribute create --namespace ${namespace} ${createFlags(missing)}\``,
  };
}

/** What the worker checks before it polls: the first problem, or undefined. A worker started just after `skillopt setup` waits for the new namespace. */
export async function centralNamespaceProblem(services: TemporalServices, namespace: string): Promise<NamespaceProblem | undefined> {
  return (await namespaceProblem(services, namespace)) ?? (await searchAttributesProblem(services, namespace, NEW_NAMESPACE_WAIT_MS));
}

/** How many custom attributes of a type SQL visibility refused past, from its message. */
const TOO_MANY = /cannot have more than (\d+) search attribute of type (\w+)/i;

async function createNamespace(services: TemporalServices, namespace: string, out: (line: string) => void): Promise<void> {
  try {
    await call(services, () =>
      services.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${SETUP_RETENTION_DAYS} days`),
        description: 'skillopt: the team skills workflows',
      }),
    );
  } catch (err) {
    if (isCode(err, GRPC.ALREADY_EXISTS)) return;
    const denied = isRefusal(err);
    throw new CentralSetupError(
      denied
        ? `this Temporal does not let these settings create namespace ${namespace} (${firstLine(err)}): create it yourself (Temporal Cloud: the Cloud UI's Namespaces page or \`tcld namespace create\`), then run \`skillopt setup\` again`
        : `cannot create namespace ${namespace} (${firstLine(err)}): create it with \`temporal operator namespace create --namespace ${namespace}\`, then run \`skillopt setup\` again`,
    );
  }
  out(`created namespace ${namespace} (closed workflows kept ${SETUP_RETENTION_DAYS} days)`);
  try {
    await listSearchAttributes(services, namespace, NEW_NAMESPACE_WAIT_MS);
  } catch (err) {
    throw new CentralSetupError(`namespace ${namespace} was created but is not usable yet (${firstLine(err)}): run \`skillopt setup\` again in a minute`);
  }
}

async function registerAttributes(services: TemporalServices, namespace: string, out: (line: string) => void): Promise<void> {
  const before = await attributeGaps(services, namespace);
  if (before.wrongType.length > 0) {
    throw new CentralSetupError(
      `namespace ${namespace} has search attributes of skillopt's names with other types (${before.wrongType.join('; ')}): give skillopt a namespace of its own (TEMPORAL_NAMESPACE)`,
    );
  }
  if (before.missing.length === 0) {
    out(`search attributes: all ${ALL_SEARCH_ATTRIBUTES.length} registered in ${namespace}`);
    return;
  }
  try {
    await call(services, () =>
      services.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(before.missing.map((k) => [k.name, INDEXED_VALUE_TYPES[k.type]!])) }),
    );
  } catch (err) {
    const tooMany = TOO_MANY.exec(firstLine(err));
    if (tooMany) {
      const [, limit, type] = tooMany as unknown as [string, string, string];
      const needed = before.missing.filter((k) => TYPE_NAMES[k.type] === type);
      const taken = Object.entries(before.custom).filter(([, t]) => typeName(t) === type).map(([name]) => name).sort();
      throw new CentralSetupError(
        `the visibility store of namespace ${namespace} allows ${limit} custom ${type} search attributes (SQL visibility's limit per namespace) and ${taken.length ? taken.join(', ') : 'others'} take${taken.length === 1 ? 's' : ''} ${taken.length || 'them'}; skillopt needs ${needed.length} more (${needed.map((k) => k.name).join(', ')}), so nothing was registered: give skillopt a namespace of its own (TEMPORAL_NAMESPACE=skillopt, then \`skillopt setup\`) or remove unused ones (\`temporal operator search-attribute remove\`)`,
      );
    }
    const denied = isRefusal(err);
    throw new CentralSetupError(
      denied
        ? `these settings may not register search attributes in ${namespace} (${firstLine(err)}): register ${before.missing.map((k) => `${k.name} (${TYPE_NAMES[k.type]})`).join(', ')} yourself (Temporal Cloud: the namespace's page in the Cloud UI, or \`tcld namespace search-attributes add\`)`
        : `cannot register search attributes in ${namespace} (${firstLine(err)}): \`temporal operator search-attribute create --namespace ${namespace} ${createFlags(before.missing)}\``,
    );
  }
  out(`registered search attributes ${before.missing.map((k) => k.name).join(', ')} in ${namespace}`);
  // SQL visibility maps names to its preallocated columns without checking an existing name's type: check again.
  const after = await searchAttributesProblem(services, namespace);
  if (after) throw new CentralSetupError(problemLine(after));
  out(`waiting ${Math.round(NAMESPACE_CACHE_REFRESH_MS / 1000)} s for every Temporal service to see them…`);
  await new Promise((r) => setTimeout(r, NAMESPACE_CACHE_REFRESH_MS));
}

/**
 * `skillopt setup`: creates the namespace when it is missing and registers the
 * search attributes skillopt lacks. Safe to run again: what is there is kept.
 */
export async function setupCentralNamespace(services: TemporalServices, namespace: string, out: (line: string) => void): Promise<void> {
  const missing = await namespaceProblem(services, namespace);
  if (missing) await createNamespace(services, namespace, out);
  else out(`namespace ${namespace} exists`);
  await registerAttributes(services, namespace, out);
}
