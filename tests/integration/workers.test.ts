import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '$lib/server/jobs/runner';
import { addModel, createProvider } from '$lib/server/providers';
import { example } from '$lib/server/db/schema';
import { makeProject, makeUser } from '../support/fixtures';
import {
	freezeHolding,
	itemsOf,
	itemsReach,
	jobReaches,
	standinProvider,
	startJob,
	TEST_SECRET
} from '../support/jobs';
import { startStandin } from '../support/standin';
import { freshDatabaseUrl, openDb, writeLocker } from '../support/database';
import { startRoleProcess, type RoleProcess } from '../../scripts/bench-server';

// Several processes on one database, as `WINNOW_ROLE=web` and `WINNOW_ROLE=worker` run them:
// the workers share a job's items through leases in the database, and one of them dies. On
// SQLite the processes share a file; in the PostgreSQL pass, a PostgreSQL database.

const dir = mkdtempSync(join(tmpdir(), 'winnow-workers-'));
afterAll(async () => {
	await Promise.all(started.map((one) => one.kill()));
	rmSync(dir, { recursive: true, force: true });
});

const SECRET = 'the one secret these processes share';
const started: RoleProcess[] = [];

async function startProcess(role: 'web' | 'worker', databaseFile: string): Promise<RoleProcess> {
	// A short lease, so that a killed worker's items come back within the test.
	const one = await startRoleProcess(role, databaseFile, {
		WINNOW_SECRET: SECRET,
		WINNOW_ITEM_LEASE_SECONDS: '2'
	});
	started.push(one);
	return one;
}

describe('several workers on one database', () => {
	it('share a job, and a worker killed mid-job costs no item twice while its lease was live', async () => {
		const standin = await startStandin({ latencyMs: 100 });
		const databaseFile = await freshDatabaseUrl(join(dir, 'shared.db'));
		const db = openDb(databaseFile);
		try {
			const admin = await makeUser(db, 'admin');
			const target = await makeProject(db, admin.id);
			const { modelId } = await standinProvider(db, standin.url);
			const web = await startProcess('web', databaseFile);
			const first = await startProcess('worker', databaseFile);
			const second = await startProcess('worker', databaseFile);

			const inputs = Array.from({ length: 2000 }, (_, i) => `shared question ${i + 1}`);
			const jobId = await startJob(db, target, admin.id, [modelId], inputs, { concurrency: 32 });
			// The web process wakes the workers, as a route does when a job starts.
			web.child.stdin!.write('wake jobs\n');

			// Killed a good way in, while it holds items, read while it is frozen.
			await itemsReach(
				db,
				jobId,
				(items) => items.filter((i) => i.status === 'done').length >= 600,
				30_000
			);
			const held = await freezeHolding(db, jobId, first.child);
			await first.kill();
			const killedAt = Date.now();
			const atKill = await itemsOf(db, jobId);
			expect(atKill.filter((i) => i.status === 'done').length).toBeLessThan(2000);
			const again = await startProcess('worker', databaseFile);

			await jobReaches(db, jobId, ['done'], 60_000);
			await Promise.all([web.kill(), second.kill(), again.kill()]);

			const items = await itemsOf(db, jobId);
			expect(items.every((i) => i.status === 'done')).toBe(true);
			const made = await db.select().from(example).where(eq(example.jobId, jobId));
			expect(made).toHaveLength(2000);
			expect(new Set(made.map((e) => e.input))).toEqual(new Set(inputs));
			expect(new Set(items.map((i) => i.exampleId)).size).toBe(2000);

			// Never more than the job's concurrency in flight, across both workers together.
			expect(standin.stats.maxInFlight).toBeLessThanOrEqual(32);
			// An item was asked twice only when the worker holding it was killed: its first call
			// came before the kill, the second after, once the lease had run out.
			const callsOf = new Map<string, number[]>();
			for (const call of standin.chatCalls) {
				callsOf.set(call.input, [...(callsOf.get(call.input) ?? []), call.at]);
			}
			expect(callsOf.size).toBe(2000);
			// Only items the killed worker held were asked twice: those whose call had reached the
			// provider before it died (one it claimed but had not yet sent is asked once, later).
			const twice = [...callsOf].filter(([, times]) => times.length > 1);
			expect(held.length).toBeGreaterThan(0);
			expect(held.length).toBeLessThanOrEqual(32);
			for (const [input, times] of twice) {
				expect(held).toContain(input);
				expect(times).toHaveLength(2);
				expect(times[0]).toBeLessThan(killedAt);
				expect(times[1]).toBeGreaterThanOrEqual(killedAt);
			}
		} finally {
			await standin.close();
		}
	}, 90_000);

	it('a worker started with another secret refuses to start and says why', async () => {
		const databaseFile = await freshDatabaseUrl(join(dir, 'secrets.db'));
		const first = await startProcess('worker', databaseFile);
		const other = spawn(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
			stdio: ['ignore', 'pipe', 'pipe'],
			env: {
				...process.env,
				DATABASE_URL: databaseFile,
				WINNOW_SECRET: 'a different secret altogether',
				WINNOW_ROLE: 'worker'
			}
		});
		let said = '';
		other.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
		const [code] = (await once(other, 'exit')) as [number];
		await first.kill();
		expect(code).toBe(1);
		expect(said).toContain('cannot open the provider keys');
		expect(said).toContain('WINNOW_SECRET');
	}, 30_000);

	it('a worker that loses its database stops taking work, says so, and goes on once it is back', async () => {
		const standin = await startStandin({ latencyMs: 20 });
		const databaseFile = await freshDatabaseUrl(join(dir, 'lost.db'));
		const setup = openDb(databaseFile);
		const admin = await makeUser(setup, 'admin');
		const target = await makeProject(setup, admin.id);
		const { modelId } = await standinProvider(setup, standin.url);
		const inputs = Array.from({ length: 200 }, (_, i) => `lost question ${i + 1}`);
		const jobId = await startJob(setup, target, admin.id, [modelId], inputs, { concurrency: 4 });
		// The worker's own connection gives up on a held lock after 50 ms instead of 5 s.
		const db = openDb(databaseFile, { busyTimeoutMs: 50 });
		const said: string[] = [];
		const runner = new JobRunner(db, {
			key: TEST_SECRET,
			pollMs: 50,
			leaseMs: 1000,
			log: (message) => said.push(message)
		});
		await runner.start();
		// Another process holds the write lock: nothing this worker writes can land.
		const locker = await writeLocker(databaseFile);
		try {
			await itemsReach(
				setup,
				jobId,
				(items) => items.filter((i) => i.status === 'done').length >= 20
			);
			await locker.hold();
			await new Promise((resolve) => setTimeout(resolve, 400));
			expect(said.join('\n')).toContain('the database does not answer');
			const callsWhileLost = standin.chatCalls.length;
			await new Promise((resolve) => setTimeout(resolve, 400));
			// No work taken while the database is away.
			expect(standin.chatCalls.length).toBe(callsWhileLost);
			expect(runner.busy).toBe(0);
			await locker.release();

			await jobReaches(setup, jobId, ['done'], 30_000);
			expect(said.join('\n')).toContain('the database answers again');
			const items = await itemsOf(setup, jobId);
			expect(items.every((i) => i.status === 'done')).toBe(true);
			const made = await setup.select().from(example).where(eq(example.jobId, jobId));
			expect(made).toHaveLength(200);
		} finally {
			await locker.close();
			await runner.stop();
			await standin.close();
		}
	}, 60_000);

	it("two workers keep to one provider's request budget between them", async () => {
		const standin = await startStandin({ latencyMs: 10 });
		const databaseFile = await freshDatabaseUrl(join(dir, 'budget.db'));
		const setup = openDb(databaseFile);
		const admin = await makeUser(setup, 'admin');
		const target = await makeProject(setup, admin.id);
		// Six requests a minute: a full bucket of six at once, then one every ten seconds.
		const limited = await createProvider(setup, TEST_SECRET, {
			name: 'Limited',
			baseUrl: standin.url,
			apiKey: '',
			requestsPerMinute: 6,
			tokensPerMinute: null
		});
		const teacher = await addModel(setup, limited.id, {
			name: 'teacher-large',
			inputPricePerMTok: 1,
			outputPricePerMTok: 1
		});
		const inputs = Array.from({ length: 20 }, (_, i) => `budget question ${i + 1}`);
		await startJob(setup, target, admin.id, [teacher.id], inputs, { concurrency: 8 });
		// Two workers, each with a connection of its own, as two processes have.
		const workers = [1, 2].map((n) => {
			const db = openDb(databaseFile);
			return {
				db,
				runner: new JobRunner(db, { key: TEST_SECRET, pollMs: 50, workerId: `worker-${n}` })
			};
		});
		try {
			for (const { runner } of workers) await runner.start();
			await new Promise((resolve) => setTimeout(resolve, 2000));
			// Each worker's own bucket would have let twelve through.
			expect(standin.chatCalls).toHaveLength(6);
		} finally {
			for (const { runner } of workers) await runner.stop();
			await standin.close();
		}
	}, 30_000);
});
