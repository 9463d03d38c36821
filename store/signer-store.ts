// Who may sign what: each person's public key (registered on first use), their
// key changes, and each skill's owner changes. The store keeps them; it does
// not decide trust: the accepting side checks every signature before writing
// (team/signed-changes.ts), and every pulling machine checks them again
// (core/trust.ts) with the keys it pinned.
import type { SkillRef } from '../core/skill-ref';
import { publicKeyProblem, type Signature } from '../core/signing';
import type { KeyChange, OwnerChange } from '../core/trust';
import { parseJson, whereSkill, type SqlContext } from './sql-context';
import { StoreValidationError, type SignerStore } from './types';
import { checkRef, checkSignature, checkText, checkTimestamp, MAX_DECIDER_CHARS } from './validate';

function checkKey(key: unknown): string {
  const problem = publicKeyProblem(key);
  if (problem) throw new StoreValidationError(problem);
  return key as string;
}

const checkUser = (user: unknown) => checkText('user', user, { required: true, maxChars: MAX_DECIDER_CHARS });

export function sqlSignerStore({ db, guard }: SqlContext): SignerStore {
  return {
    signingKey: (user) =>
      guard(async () => (await db.selectFrom('signing_keys').select('public_key').where('user_name', '=', checkUser(user)).executeTakeFirst())?.public_key),

    registerKey(user, key) {
      const row = { user_name: checkUser(user), public_key: checkKey(key), registered_at: new Date().toISOString() };
      return guard(async () => {
        // First use wins; a racing first use by the same user with another key gets the key that won.
        await db
          .insertInto('signing_keys')
          .values(row)
          .onConflict((oc) => oc.column('user_name').doNothing())
          .execute();
        const stored = await db.selectFrom('signing_keys').select('public_key').where('user_name', '=', row.user_name).executeTakeFirstOrThrow();
        return stored.public_key;
      });
    },

    replaceKey(change) {
      const user = checkUser(change.user);
      const key = checkKey(change.key);
      const at = checkTimestamp('at', change.at);
      const signature = JSON.stringify(checkSignature('signature', change.signature));
      return guard(() =>
        db.transaction().execute(async (trx) => {
          const now = new Date().toISOString();
          await trx.insertInto('key_changes').values({ user_name: user, public_key: key, at, signature, created_at: now }).execute();
          await trx
            .insertInto('signing_keys')
            .values({ user_name: user, public_key: key, registered_at: now })
            .onConflict((oc) => oc.column('user_name').doUpdateSet({ public_key: key, registered_at: now }))
            .execute();
        }),
      );
    },

    keyChanges(users) {
      const names = [...new Set(users.map(checkUser))];
      return guard(async () => {
        if (names.length === 0) return [];
        const rows = await db.selectFrom('key_changes').selectAll().where('user_name', 'in', names).orderBy('id', 'asc').execute();
        return rows.map((r): KeyChange => ({ user: r.user_name, key: r.public_key, at: r.at, signature: parseJson<Signature>(r.signature) }));
      });
    },

    ownerChanges(ref: SkillRef) {
      const checked = checkRef(ref);
      return guard(async () => {
        const rows = await db.selectFrom('skill_owner_changes').selectAll().$call(whereSkill(checked)).orderBy('id', 'asc').execute();
        return rows.map((r): OwnerChange => ({ action: r.action, user: r.user_name, at: r.at, signature: parseJson<Signature>(r.signature) }));
      });
    },

    addOwnerChange(ref, change) {
      const checked = checkRef(ref);
      if (change.action !== 'add' && change.action !== 'remove') throw new StoreValidationError('an owner change adds or removes');
      const row = {
        name: checked.name,
        author: checked.author,
        action: change.action,
        user_name: checkUser(change.user),
        at: checkTimestamp('at', change.at),
        signature: JSON.stringify(checkSignature('signature', change.signature)),
        created_at: new Date().toISOString(),
      };
      return guard(async () => {
        await db.insertInto('skill_owner_changes').values(row).execute();
      });
    },
  };
}
