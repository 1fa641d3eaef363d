import { eq, inArray } from 'drizzle-orm';
import type { Db, Queryable } from './db';
import { loginThrottle } from './db/schema';

/**
 * Failures allowed before a key is locked, per kind of key. Someone failing from one address
 * locks that account from that address (`pair`) and, across accounts, that address (`ip`);
 * the owner elsewhere is not locked out by them. The account's own limit (`user`) only stops
 * guessing spread over many addresses: one address reaches about 15 failures an hour under
 * its growing locks, so 100 takes a stranger at least seven addresses.
 */
export const LOGIN_FREE_FAILURES = { pair: 5, ip: 20, user: 100 } as const;
type KeyKind = keyof typeof LOGIN_FREE_FAILURES;
export type ThrottleKeys = Record<KeyKind, string>;

const FIRST_LOCK_MS = 30_000;
const LONGEST_LOCK_MS = 15 * 60_000;
/** Failures older than this are forgotten. */
const FAILURE_MEMORY_MS = 60 * 60_000;

export function throttleKeys(username: string, ip: string): ThrottleKeys {
	const name = username.toLowerCase();
	// An address holds no '|', so the pair cannot be read two ways.
	return { pair: `pair:${ip}|${name}`, ip: `ip:${ip}`, user: `user:${name}` };
}

function lockFor(kind: KeyKind, failures: number, now: Date): Date | null {
	const over = failures - LOGIN_FREE_FAILURES[kind];
	return over >= 0
		? new Date(now.getTime() + Math.min(FIRST_LOCK_MS * 2 ** over, LONGEST_LOCK_MS))
		: null;
}

async function rowsOf(tx: Queryable, keys: ThrottleKeys) {
	return await tx
		.select()
		.from(loginThrottle)
		.where(inArray(loginThrottle.key, Object.values(keys)));
}

/**
 * Lets a login attempt go on to its password check, or says how many milliseconds to wait.
 * An attempt let through is counted as a failure in the same transaction that checked the
 * locks, before its password is checked: the check is asynchronous, and parallel attempts
 * that were only counted after it all found the account unlocked. A success is taken back
 * with `recordSuccess`.
 */
export async function admitAttempt(db: Db, keys: ThrottleKeys, now: Date): Promise<number> {
	return await db.transaction(async (tx) => {
		const rows = await rowsOf(tx, keys);
		let wait = 0;
		for (const row of rows) {
			if (row.lockedUntil) wait = Math.max(wait, row.lockedUntil.getTime() - now.getTime());
		}
		if (wait > 0) return wait;
		for (const [kind, key] of Object.entries(keys) as [KeyKind, string][]) {
			const row = rows.find((r) => r.key === key);
			const recent = row && now.getTime() - row.lastFailureAt.getTime() < FAILURE_MEMORY_MS;
			const failures = (recent ? row.failures : 0) + 1;
			const lockedUntil = lockFor(kind, failures, now);
			await tx
				.insert(loginThrottle)
				.values({ key, failures, lastFailureAt: now, lockedUntil })
				.onConflictDoUpdate({
					target: loginThrottle.key,
					set: { failures, lastFailureAt: now, lockedUntil }
				});
		}
		return 0;
	});
}

/**
 * Takes back the failure `admitAttempt` counted for an attempt that succeeded: the pair's
 * failures are forgotten; the address and the account keep the others' failures, so logging
 * in to one's own account does not wipe what a stranger did from there or elsewhere.
 */
export async function recordSuccess(db: Db, keys: ThrottleKeys): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.delete(loginThrottle).where(eq(loginThrottle.key, keys.pair));
		for (const kind of ['ip', 'user'] as const) {
			const row = (await rowsOf(tx, keys)).find((r) => r.key === keys[kind]);
			if (!row) continue;
			const failures = Math.max(row.failures - 1, 0);
			// The lock this attempt set, if it was the one that reached the limit, goes too.
			const lockedUntil = failures < LOGIN_FREE_FAILURES[kind] ? null : row.lockedUntil;
			await tx
				.update(loginThrottle)
				.set({ failures, lockedUntil })
				.where(eq(loginThrottle.key, row.key));
		}
	});
}

/** What someone throttled is told, in seconds under a minute and a half, else in minutes. */
export function retryMessage(retryAfterSeconds: number): string {
	const wait =
		retryAfterSeconds < 90
			? `${retryAfterSeconds} seconds`
			: `${Math.ceil(retryAfterSeconds / 60)} minutes`;
	return `Too many failed attempts. Try again in ${wait}.`;
}
