import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigratedDb } from '$lib/server/db';
import { example, revision } from '$lib/server/db/schema';
import { parseJobInputs } from '$lib/server/jobs';
import { readTurn, type Thread } from '$lib/conversations';
import { jsonl, linesSource, makeProject, makeUser } from '../support/fixtures';
import { conversation } from '../support/threads';
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

	it('a job over 100 threads asks for each next turn exactly once, tools offered, after a crash too', async () => {
		const standin = await startStandin({ latencyMs: 100 });
		const databaseFile = join(dir, 'threads.db');
		const db = await createMigratedDb(databaseFile);
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, {
			inputKind: 'conversation',
			outputKind: 'turn',
			instruction: ''
		});
		const { modelId } = await standinProvider(db, standin.url);
		// Each thread stops where the assistant answers: after a user's question, or (every other
		// thread that has them) after the results of its last tool calls.
		const contexts: Thread[] = Array.from({ length: 100 }, (_, i) => {
			const { messages, ...rest } = conversation(500 + i);
			const lastTool = messages.findLastIndex((m) => m.role === 'tool');
			const lastUser = messages.findLastIndex((m) => m.role === 'user');
			const end = i % 2 === 0 && lastTool !== -1 ? lastTool : lastUser;
			return { ...rest, messages: messages.slice(0, end + 1) };
		});
		const parsed = await parseJobInputs(target, linesSource(jsonl(contexts)), 'jsonl');
		if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.slice(0, 3)));
		const jobId = await startJob(db, target, admin.id, [modelId], parsed.inputs, {
			concurrency: 4
		});

		const first = await runnerProcess(databaseFile);
		await itemsReach(db, jobId, (items) => items.filter((i) => i.status === 'done').length >= 10);
		first.kill('SIGKILL');
		await once(first, 'exit');
		expect((await itemsOf(db, jobId)).filter((i) => i.status === 'done').length).toBeLessThan(100);

		const second = await runnerProcess(databaseFile);
		try {
			await jobReaches(db, jobId, ['done'], 40_000);
		} finally {
			second.kill('SIGKILL');
			await once(second, 'exit');
			await standin.close();
		}
		const items = await itemsOf(db, jobId);
		expect(items.every((i) => i.status === 'done')).toBe(true);
		const made = await db
			.select({ input: example.input, key: example.conversationKey, turn: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(eq(example.jobId, jobId));
		expect(made).toHaveLength(100);
		expect(new Set(items.map((i) => i.exampleId)).size).toBe(100);
		let calls = 0;
		for (const row of made) {
			const context = JSON.parse(row.input) as Thread;
			const turn = JSON.parse(row.turn!);
			expect(readTurn(context, turn)).toMatchObject({ ok: true });
			expect(row.key).toMatch(/^[0-9a-f]{64}$/);
			if (context.messages.at(-1)!.role === 'tool') {
				expect(turn.content).toMatch(/^Answer to: /);
			} else if (context.tools) {
				expect(turn.tool_calls.length).toBeGreaterThan(0);
				calls += 1;
			}
		}
		expect(calls).toBeGreaterThan(10);
	}, 90_000);
});
