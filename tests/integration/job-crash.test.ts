import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratedDb } from '$lib/server/db';
import { example } from '$lib/server/db/schema';
import { makeProject, makeUser } from '../support/fixtures';
import { itemsOf, itemsReach, jobReaches, standinProvider, startJob } from '../support/jobs';
import { startStandin } from '../support/standin';

const dir = mkdtempSync(join(tmpdir(), 'winnow-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runnerProcess(databaseFile: string): Promise<ChildProcess> {
	const child = spawn(
		process.execPath,
		['--import', 'tsx', 'tests/support/job-process.ts', databaseFile],
		{ stdio: ['ignore', 'pipe', 'inherit'] }
	);
	const [line] = (await once(child.stdout!, 'data')) as [Buffer];
	expect(line.toString()).toContain('started');
	return child;
}

describe('a job survives a crash', () => {
	it('a runner killed mid-job and started again does every item exactly once', async () => {
		const standin = await startStandin({ latencyMs: 100 });
		const databaseFile = join(dir, 'crash.db');
		const db = await createMigratedDb(databaseFile);
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId } = await standinProvider(db, standin.url);
		const inputs = Array.from({ length: 40 }, (_, i) => `crash question ${i + 1}`);
		const jobId = await startJob(db, target, admin.id, [modelId], inputs, { concurrency: 4 });

		const first = await runnerProcess(databaseFile);
		await itemsReach(db, jobId, (items) => items.filter((i) => i.status === 'done').length >= 8);
		first.kill('SIGKILL');
		await once(first, 'exit');

		const atCrash = await itemsOf(db, jobId);
		const doneAtCrash = atCrash.filter((i) => i.status === 'done').length;
		expect(doneAtCrash).toBeLessThan(40);
		// Killed mid-call: items it had in flight are still marked running.
		expect(atCrash.some((i) => i.status === 'running')).toBe(true);

		const second = await runnerProcess(databaseFile);
		try {
			await jobReaches(db, jobId, ['done'], 30_000);
		} finally {
			second.kill('SIGKILL');
			await once(second, 'exit');
			await standin.close();
		}
		const items = await itemsOf(db, jobId);
		expect(items.every((i) => i.status === 'done')).toBe(true);
		const made = await db.select().from(example).where(eq(example.jobId, jobId));
		expect(made).toHaveLength(40);
		expect(new Set(items.map((i) => i.exampleId)).size).toBe(40);
		expect(new Set(made.map((e) => e.input))).toEqual(new Set(inputs));
		// Each example belongs to the one item that names it.
		for (const item of items) {
			expect(made.find((e) => e.id === item.exampleId)?.dedupeKey).toBe(
				`job:${jobId}:item:${item.id}`
			);
		}
	}, 60_000);
});
