import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { user } from '$lib/server/db/schema';
import type { Db } from '$lib/server/db';
import { freshDatabaseUrl, openDb, writeLocker } from '../support/database';

// A write transaction that meets another process's write lock waits for it without stopping its
// own process: the other requests a web server is answering, and a worker's calls coming back,
// go on meanwhile. It gives up after the busy timeout with the database's own error.

const dir = mkdtempSync(join(tmpdir(), 'winnow-write-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One write transaction: a user row. */
function addUser(db: Db, username: string) {
	return db.transaction(async (tx) =>
		tx.insert(user).values({
			id: username,
			username,
			displayName: username,
			passwordHash: 'not a hash',
			role: 'annotator',
			active: true,
			createdAt: new Date()
		})
	);
}

describe('waiting for the write lock', () => {
	it('leaves the process free while it waits, and writes once the lock is free', async () => {
		const url = await freshDatabaseUrl(join(dir, 'wait.db'));
		const db = openDb(url);
		const locker = await writeLocker(url);
		try {
			await locker.hold();
			let ticks = 0;
			const timer = setInterval(() => ticks++, 5);
			const waiting = addUser(db, 'patient');
			await sleep(200);
			clearInterval(timer);
			// The timers fired and a read was answered while the write waited.
			expect(ticks).toBeGreaterThan(10);
			expect(await db.select({ username: user.username }).from(user)).toEqual([]);
			await locker.release();
			await waiting;
			expect(await db.select({ username: user.username }).from(user)).toEqual([
				{ username: 'patient' }
			]);
		} finally {
			await locker.close();
		}
	});

	it('gives up after the busy timeout and writes nothing', async () => {
		const url = await freshDatabaseUrl(join(dir, 'timeout.db'));
		const db = openDb(url, { busyTimeoutMs: 100 });
		const locker = await writeLocker(url);
		try {
			await locker.hold();
			const started = Date.now();
			await expect(addUser(db, 'impatient')).rejects.toThrow(/database is locked|lock timeout/);
			expect(Date.now() - started).toBeGreaterThanOrEqual(90);
			await locker.release();
			expect(await db.select({ username: user.username }).from(user)).toEqual([]);
		} finally {
			await locker.close();
		}
	});
});
