// The Store over Kysely: one set of queries for both engines, every value a bound
// parameter, split by the aggregate each part keeps (version-store, rollout-store,
// edit-store, verdict-store, content-store, signer-store). Engine specifics come in through StoreEngine.
import type { Kysely } from 'kysely';
import { sqlContentStore } from './content-store';
import { sqlEditStore } from './edit-store';
import type { StoreEngine } from './engine';
import { sqlRolloutStore } from './rollout-store';
import { sqlSignerStore } from './signer-store';
import type { StoreDatabase } from './schema';
import { sqlContext } from './sql-context';
import type { Store } from './types';
import { sqlVerdictStore } from './verdict-store';
import { sqlVersionStore } from './version-store';

/** The store's parts over one database, and closing it (once, however often asked). */
export function sqlStore(db: Kysely<StoreDatabase>, engine: StoreEngine): Store {
  const context = sqlContext(db, engine);
  let closed: Promise<void> | undefined;
  return {
    engine: engine.kind,
    ...sqlVersionStore(context),
    ...sqlRolloutStore(context),
    ...sqlEditStore(context),
    ...sqlVerdictStore(context),
    ...sqlContentStore(context),
    ...sqlSignerStore(context),
    close() {
      closed ??= db.destroy();
      return closed;
    },
  };
}
