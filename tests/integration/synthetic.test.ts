import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { example, job, syntheticRun } from '$lib/server/db/schema';
import { JobRunner } from '$lib/server/jobs/runner';
import {
	addTopic,
	createRun,
	draftInputs,
	editDraft,
	getRun,
	growTree,
	listDrafts,
	removeDrafts,
	removeTopic,
	renameTopic,
	startFromDrafts,
	topicTree,
	type TopicNode
} from '$lib/server/jobs/synthetic';
import { makeProject, makeUser } from '../support/fixtures';
import { jobReaches, standinProvider, TEST_SECRET, TEST_SETTINGS } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

let standin: Standin | undefined;
afterEach(async () => {
	await standin?.close();
	standin = undefined;
});

async function setup(apiKey = '') {
	standin = await startStandin({ apiKey: 'right' });
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, { instruction: 'Answer questions about orders.' });
	const { modelId } = await standinProvider(db, standin.url, apiKey);
	const runId = await createRun(
		db,
		target.id,
		{
			modelId,
			rootTopic: 'orders',
			guidance: 'Keep it short.',
			breadth: 3,
			depth: 2,
			inputsPerLeaf: 2
		},
		admin.id
	);
	return { db, admin, target, modelId, runId };
}

const leaves = (node: TopicNode): TopicNode[] =>
	node.children.length === 0 ? [node] : node.children.flatMap(leaves);

describe('a topic tree', () => {
	it('grows breadth × depth, keeps the admin’s edits, drafts inputs per leaf, and starts a job', async () => {
		const { db, admin, target, modelId, runId } = await setup('right');
		const run = (await getRun(db, target.id, runId))!;
		expect(await growTree(db, TEST_SECRET, run)).toEqual({ ok: true });
		let tree = (await topicTree(db, runId))!;
		expect(tree.name).toBe('orders');
		expect(tree.children.map((c) => c.name)).toEqual(['orders 1', 'orders 2', 'orders 3']);
		expect(leaves(tree)).toHaveLength(9);
		expect(leaves(tree)[0].name).toBe('orders 1 1');

		// The admin renames one topic, removes another with its subtree, adds one by hand.
		const [first, second, third] = tree.children;
		expect(await renameTopic(db, runId, first.id, 'late deliveries')).toBe(true);
		expect(await removeTopic(db, runId, second.id)).toBe(true);
		expect(await removeTopic(db, runId, tree.id)).toBe(false);
		expect(await addTopic(db, runId, third.id, 'gift wrapping')).toBe(true);
		// Growing again only fills topics without children: the hand-added leaf at depth 2.
		expect(await growTree(db, TEST_SECRET, run)).toEqual({ ok: true });
		tree = (await topicTree(db, runId))!;
		expect(tree.children.map((c) => c.name)).toEqual(['late deliveries', 'orders 3']);
		expect(leaves(tree).map((l) => l.name)).toContain('gift wrapping');
		expect(leaves(tree)).toHaveLength(7);

		expect(await draftInputs(db, TEST_SECRET, run)).toEqual({ ok: true });
		let drafts = await listDrafts(db, runId);
		expect(drafts).toHaveLength(14);
		expect(drafts.map((d) => d.text)).toContain('gift wrapping 1');
		// Drafting again adds nothing: every leaf has its inputs.
		expect(await draftInputs(db, TEST_SECRET, run)).toEqual({ ok: true });
		expect(await listDrafts(db, runId)).toHaveLength(14);

		expect(await editDraft(db, runId, drafts[0].id, 'Where is my parcel?')).toBe(true);
		expect(await removeDrafts(db, runId, [drafts[1].id, drafts[2].id])).toBe(2);
		drafts = await listDrafts(db, runId);
		expect(drafts).toHaveLength(12);

		const started = await startFromDrafts(db, target, run, admin.id, [modelId], TEST_SETTINGS);
		expect(started.ok).toBe(true);
		const jobId = started.ok ? started.jobId : -1;
		expect(
			(await db.select().from(syntheticRun).where(eq(syntheticRun.id, runId)).limit(1))[0]?.jobId
		).toBe(jobId);
		expect(
			await startFromDrafts(
				db,
				target,
				(await getRun(db, target.id, runId))!,
				admin.id,
				[modelId],
				TEST_SETTINGS
			)
		).toMatchObject({ ok: false });
		// A second click that read the run before the first one saved: still only one job.
		expect(await startFromDrafts(db, target, run, admin.id, [modelId], TEST_SETTINGS)).toEqual({
			ok: false,
			message: 'This run has started its job already.'
		});
		expect(await db.select().from(job)).toHaveLength(1);

		const runner = new JobRunner(db, { key: TEST_SECRET, pollMs: 50 });
		await runner.start();
		try {
			await jobReaches(db, jobId, ['done']);
		} finally {
			await runner.stop();
		}
		const made = await db.select().from(example).where(eq(example.jobId, jobId));
		expect(made.map((e) => e.input).sort()).toEqual(drafts.map((d) => d.text).sort());
		expect(made.map((e) => e.input)).toContain('Where is my parcel?');
	});

	it('a refused key is said plainly and grows nothing', async () => {
		const { db, target, runId } = await setup('wrong');
		const result = await growTree(db, TEST_SECRET, (await getRun(db, target.id, runId))!);
		expect(result).toEqual({
			ok: false,
			message: 'The provider refused the API key (401): Incorrect API key provided.'
		});
		expect((await topicTree(db, runId))?.children).toEqual([]);
	});
});
