import { eq, inArray } from 'drizzle-orm';
import type { Db } from './db';
import { loginThrottle } from './db/schema';

/** Failures allowed before a key is locked, per kind of key. */
export const LOGIN_FREE_FAILURES = { user: 5, ip: 20 } as const;
const FIRST_LOCK_MS = 30_000;
const LONGEST_LOCK_MS = 15 * 60_000;
/** Failures older than this are forgotten. */
const FAILURE_MEMORY_MS = 60 * 60_000;

export function throttleKeys(username: string, ip: string) {
	return { user: `user:${username.toLowerCase()}`, ip: `ip:${ip}` };
}

/** Milliseconds until any of the keys may try again; 0 when none is locked. */
export function lockedFor(db: Db, keys: string[], now: Date): number {
	const rows = db.select().from(loginThrottle).where(inArray(loginThrottle.key, keys)).all();
	let wait = 0;
	for (const row of rows) {
		if (row.lockedUntil) wait = Math.max(wait, row.lockedUntil.getTime() - now.getTime());
	}
	return wait;
}

export function recordFailure(db: Db, keys: { user: string; ip: string }, now: Date): void {
	db.transaction((tx) => {
		for (const [kind, key] of Object.entries(keys) as ['user' | 'ip', string][]) {
			const row = tx.select().from(loginThrottle).where(eq(loginThrottle.key, key)).get();
			const recent = row && now.getTime() - row.lastFailureAt.getTime() < FAILURE_MEMORY_MS;
			const failures = (recent ? row.failures : 0) + 1;
			const over = failures - LOGIN_FREE_FAILURES[kind];
			const lockedUntil =
				over >= 0
					? new Date(now.getTime() + Math.min(FIRST_LOCK_MS * 2 ** over, LONGEST_LOCK_MS))
					: null;
			tx.insert(loginThrottle)
				.values({ key, failures, lastFailureAt: now, lockedUntil })
				.onConflictDoUpdate({
					target: loginThrottle.key,
					set: { failures, lastFailureAt: now, lockedUntil }
				})
				.run();
		}
	});
}

export function clearFailures(db: Db, key: string): void {
	db.delete(loginThrottle).where(eq(loginThrottle.key, key)).run();
}
