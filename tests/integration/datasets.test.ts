import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createMigratedDb, type Db } from '$lib/server/db';
import { dataset, datasetItem, project, type Project } from '$lib/server/db/schema';
import { countQualifying, datasetChange, freezeDataset, getDataset } from '$lib/server/datasets';
import { exportChunks, linesOf, checkOpenAiLines } from '$lib/server/datasets/export';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { hashText, splitForInputHash } from '$lib/server/split';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import {
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission
} from '../support/fixtures';

const ALL = datasetFilterSchema.parse({});

/** The first input of the form `${prefix} n` that lands in the given split. */
function inputIn(target: Project, split: 'train' | 'test', prefix: string): string {
	for (let i = 0; ; i++) {
		const input = `${prefix} ${i}`;
		if (splitForInputHash(hashText(input), target) === split) return input;
	}
}

/**
 * One project with an example in every state: accepted; accepted but under a stricter
 * threshold; below the threshold; rejected; repaired and accepted; repaired and not yet
 * reviewed; an exact duplicate of the accepted one; accepted in the test split; not fully
 * reviewed; disputed.
 */
async function everyState() {
	const db = createMigratedDb();
	const admin = await makeUser(db, 'admin');
	const ann = await makeUser(db, 'annotator');
	const bob = await makeUser(db, 'annotator');
	const target = makeProject(db, admin.id, {
		reviewsRequired: 1,
		threshold: 4,
		instruction: 'Answer briefly.'
	});
	addMember(db, target.id, ann.id);
	addMember(db, target.id, bob.id);
	const trainInput = (name: string) => inputIn(target, 'train', name);
	const inputs = {
		accepted: trainInput('accepted'),
		fourStars: trainInput('four stars'),
		below: trainInput('below'),
		rejected: trainInput('rejected'),
		repaired: trainInput('repaired'),
		unreviewedRepair: trainInput('unreviewed repair'),
		test: inputIn(target, 'test', 'held out'),
		partial: trainInput('partial'),
		disputed: trainInput('disputed')
	};
	await importRows(db, target, [
		{ input: inputs.accepted, output: 'good answer', id: 'a' },
		{ input: inputs.fourStars, output: 'fine answer' },
		{ input: inputs.below, output: 'weak answer' },
		{ input: inputs.rejected, output: 'wrong answer' },
		{ input: inputs.repaired, output: 'teacher answer' },
		{ input: inputs.unreviewedRepair, output: 'teacher answer 2' },
		{ input: inputs.accepted, output: 'good answer', id: 'a-again' },
		{ input: inputs.test, output: 'held-out answer' }
	]);
	let minute = 0;
	const review = (userId: string, overrides: Parameters<typeof reviewSubmission>[1]) => {
		const claimed = claimNext(db, target.id, userId, minutesAfter(minute))!;
		const result = submitReview(
			db,
			target.id,
			userId,
			reviewSubmission(claimed, overrides),
			minutesAfter(minute++)
		);
		expect(result.ok).toBe(true);
		return claimed;
	};
	review(ann.id, { rating: 5 }); // accepted
	review(ann.id, { rating: 4 }); // four stars
	review(ann.id, { rating: 3 }); // below the threshold → rejected
	review(ann.id, { rating: 5, decision: 'reject' }); // rejected
	review(ann.id, { rating: 2, decision: 'repair', output: 'repaired answer' }); // repaired …
	review(ann.id, { rating: 2, decision: 'repair', output: 'repaired answer 2' }); // … twice
	review(ann.id, { rating: 5 }); // the duplicate
	review(ann.id, { rating: 5 }); // held out
	review(bob.id, { rating: 5 }); // bob accepts the first repair only
	// Two reviews per example from here on.
	db.update(project).set({ reviewsRequired: 2 }).where(eq(project.id, target.id)).run();
	await importRows(db, target, [
		{ input: inputs.disputed, output: 'contested' },
		{ input: inputs.partial, output: 'half-reviewed' }
	]);
	const refreshed = db.select().from(project).where(eq(project.id, target.id)).get()!;
	review(ann.id, { rating: 5 }); // disputed: 5 …
	review(bob.id, { rating: 2, decision: 'reject' }); // … and 2
	review(ann.id, { rating: 5 }); // partial: one review of two
	return { db, admin, ann, bob, target: refreshed, inputs };
}

function fileOf(
	db: Db,
	target: Project,
	datasetId: number,
	split: 'train' | 'val' | 'test',
	format = 'openai' as const
) {
	return [...exportChunks(db, target, datasetId, { format, split, reasoning: false })].join('');
}

describe('who gets exported', () => {
	it('only accepted examples over the threshold, at their current revision, each input-output once', async () => {
		const { db, admin, target, inputs } = await everyState();
		const frozen = freezeDataset(db, target, 'first', ALL, admin.id);
		expect(frozen.ok).toBe(true);
		if (!frozen.ok) return;
		const train = fileOf(db, target, frozen.datasetId, 'train');
		const test = fileOf(db, target, frozen.datasetId, 'test');
		const trainInputs = train
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line).messages[1].content);
		expect(trainInputs.sort()).toEqual([inputs.accepted, inputs.fourStars, inputs.repaired].sort());
		// The repaired example goes out with its repair, not the teacher's output.
		expect(train).toContain('"repaired answer"');
		expect(train).not.toContain('teacher answer');
		// The test example is only ever in the test file.
		expect(train).not.toContain(inputs.test);
		expect(test.trim().split('\n')).toHaveLength(1);
		expect(test).toContain(inputs.test);
		for (const excluded of [
			inputs.below,
			inputs.rejected,
			inputs.unreviewedRepair,
			inputs.partial,
			inputs.disputed
		]) {
			expect(train + test).not.toContain(excluded);
		}
		expect(frozen.counts).toEqual({ train: 3, val: 0, test: 1 });
		expect(countQualifying(db, target, ALL)).toEqual(frozen.counts);
	});

	it('a stricter threshold, a tag, a source: the counts follow the filter', async () => {
		const { db, target } = await everyState();
		const strict = datasetFilterSchema.parse({ threshold: '5' });
		expect(countQualifying(db, target, strict)).toEqual({ train: 2, val: 0, test: 1 });
		expect(
			countQualifying(db, target, datasetFilterSchema.parse({ sources: ['distillation'] }))
		).toEqual({
			train: 0,
			val: 0,
			test: 0
		});
		expect(countQualifying(db, target, datasetFilterSchema.parse({ repairedOnly: 'on' }))).toEqual({
			train: 1,
			val: 0,
			test: 0
		});
	});

	it('a filter that selects nothing freezes nothing, and says so', async () => {
		const { db, admin, target } = await everyState();
		const nothing = datasetFilterSchema.parse({ tags: 'no-such-tag' });
		expect(freezeDataset(db, target, 'empty', nothing, admin.id)).toEqual({
			ok: false,
			message: 'No accepted example clears this filter, so there is nothing to freeze.'
		});
		expect(db.select().from(dataset).all()).toEqual([]);
		expect(db.select().from(datasetItem).all()).toEqual([]);
	});

	it('a dataset stays as frozen; the next one shows what changed', async () => {
		const { db, admin, bob, target } = await everyState();
		const first = freezeDataset(db, target, 'first', ALL, admin.id);
		if (!first.ok) throw new Error(first.message);
		const before = fileOf(db, target, first.datasetId, 'train');
		// More work lands: the half-reviewed example gets its second review.
		const claimed = claimNext(db, target.id, bob.id, minutesAfter(100))!;
		submitReview(
			db,
			target.id,
			bob.id,
			reviewSubmission(claimed, { rating: 5 }),
			minutesAfter(100)
		);
		expect(fileOf(db, target, first.datasetId, 'train')).toBe(before);
		const second = freezeDataset(db, target, 'second', ALL, admin.id);
		if (!second.ok) throw new Error(second.message);
		expect(getDataset(db, target.id, second.datasetId)?.previousDatasetId).toBe(first.datasetId);
		const change = datasetChange(db, first.datasetId, second.datasetId);
		expect(change.removed).toBe(0);
		expect(change.added + change.kept + change.revised).toBe(
			second.counts.train + second.counts.val + second.counts.test
		);
		expect(change).toMatchObject({ added: 1, removed: 0, revised: 0 });
		expect(second.contentHash).not.toBe(first.contentHash);
	});

	it('the OpenAI file passes the OpenAI check, with its tokens counted', async () => {
		const { db, admin, target } = await everyState();
		const frozen = freezeDataset(db, target, 'first', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const check = checkOpenAiLines(
			linesOf(
				exportChunks(db, target, frozen.datasetId, {
					format: 'openai',
					split: 'train',
					reasoning: false
				})
			)
		);
		expect(check.examples).toBe(3);
		expect(Object.values(check.problems).every((n) => n === 0)).toBe(true);
		expect(check.tokens.total).toBeGreaterThan(3 * 9);
		expect(check.tokens.longest).toBeGreaterThanOrEqual(check.tokens.mean);
	});
});
