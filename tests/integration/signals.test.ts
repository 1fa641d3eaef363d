import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { notify, watch } from '$lib/server/signals';
import { freshDatabaseUrl, openDb, postgresUnderTest, rawSql } from '../support/database';

// One server wakes another's workers through the database: on SQLite by a counter the watchers
// poll, on PostgreSQL by NOTIFY, which reaches a LISTENing server at once.

const dir = mkdtempSync(join(tmpdir(), 'winnow-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves with the milliseconds until `woken` has been called `times` times. */
function wakes(counter: { n: number }, times: number, limitMs: number): Promise<number> {
	const started = Date.now();
	return new Promise((resolve, reject) => {
		const look = setInterval(() => {
			if (counter.n >= times) {
				clearInterval(look);
				resolve(Date.now() - started);
			} else if (Date.now() - started > limitMs) {
				clearInterval(look);
				reject(new Error(`woken ${counter.n} times in ${limitMs} ms, not ${times}`));
			}
		}, 5);
	});
}

describe('waking another server', () => {
	it('a notification on one connection wakes a watcher on another', async () => {
		const url = await freshDatabaseUrl(join(dir, 'one.db'));
		const web = openDb(url);
		const worker = openDb(url);
		const woken = { n: 0 };
		const stop = watch(worker, 'jobs', () => woken.n++);
		try {
			// The watcher's first look only learns where the counter stands.
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(woken.n).toBe(0);
			await notify(web, 'jobs');
			const waited = await wakes(woken, 1, 4000);
			// PostgreSQL's watcher polls only every 5 s: an answer this fast came by LISTEN.
			if (postgresUnderTest()) expect(waited).toBeLessThan(2000);
			await notify(web, 'fine-tunes');
			await new Promise((resolve) => setTimeout(resolve, 400));
			expect(woken.n).toBe(1);
		} finally {
			stop();
		}
	});

	// Only PostgreSQL has a listening connection to lose.
	if (postgresUnderTest())
		it('a listener whose connection was cut listens again', async () => {
			const url = await freshDatabaseUrl('');
			const web = openDb(url);
			const worker = openDb(url);
			const woken = { n: 0 };
			const stop = watch(worker, 'jobs', () => woken.n++);
			try {
				await new Promise((resolve) => setTimeout(resolve, 300));
				const cut = await rawSql(web, {
					sqlite: '',
					postgres: `select pg_terminate_backend(pid) as done from pg_stat_activity
					where datname = current_database() and query like 'LISTEN%'`
				});
				expect(cut).toEqual([{ done: true }]);
				// Back after a second, it wakes its watchers once, since it may have missed one.
				await wakes(woken, 1, 4000);
				const before = woken.n;
				await notify(web, 'jobs');
				await wakes(woken, before + 1, 2000);
			} finally {
				stop();
			}
		});
});
