import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '$lib/server/db';
import {
	comparison,
	comparisonJudgment,
	comparisonLease,
	example,
	project,
	revision
} from '$lib/server/db/schema';
import { markGold } from '$lib/server/gold';
import { addMember, getProject } from '$lib/server/projects';
import { addModel } from '$lib/server/providers';
import {
	compareJobOutputs,
	compareModels,
	firstOnLeftFor,
	queueComparisons,
	type Pair
} from '$lib/server/comparisons';
import {
	claimComparison,
	judgeComparison,
	setComparisonGold,
	skipComparison,
	undoComparison,
	type ComparisonChoice
} from '$lib/server/comparisons/queue';
import { comparisonFigures, positionBias } from '$lib/server/comparisons/figures';
import { JobRunner } from '$lib/server/jobs/runner';
import { evaluateOnTests, loopSetup } from '../support/loop';
import { freezeDataset, getDataset } from '$lib/server/datasets';
import { exportChunks, exportFiles, linesIn, linesOf } from '$lib/server/datasets/export';
import { checkPreferenceLines } from '$lib/server/datasets/preferences';
import { datasetFilterSchema, type ExportFormat } from '$lib/schemas/dataset';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import {
	examplesOf,
	importRows,
	makeProject,
	makeUser,
	minutesAfter,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { jobReaches, standinProvider, startJob, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

let keys = 0;
const judgment = (comparisonId: number, choice: ComparisonChoice, extra = {}) => ({
	comparisonId,
	choice,
	submissionKey: `comparison-${++keys}`,
	...extra
});

/** A project with `inputs` inputs, each answered twice ("good" and "poor"), and its pairs. */
async function pairedProject(db: Db, inputs: number, reviewsRequired = 1) {
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, { reviewsRequired });
	await importRows(
		db,
		target,
		Array.from({ length: inputs }, (_, i) => [
			{ input: `Question ${i}`, output: `A good answer to ${i}` },
			{ input: `Question ${i}`, output: `poor ${i}` }
		]).flat()
	);
	const rows = await examplesOf(db, target.id);
	const pairs: Pair[] = [];
	for (let i = 0; i < rows.length; i += 2) {
		pairs.push({
			first: { exampleId: rows[i].id, revisionId: rows[i].currentRevisionId! },
			second: { exampleId: rows[i + 1].id, revisionId: rows[i + 1].currentRevisionId! }
		});
	}
	return { admin, target, pairs };
}

async function people(db: Db, projectId: number, n: number) {
	const made = [];
	for (let i = 0; i < n; i++) {
		const person = await makeUser(db, 'annotator');
		await addMember(db, projectId, person.id);
		made.push(person);
	}
	return made;
}

/** Which screen side holds the good answer in a claimed comparison. */
const goodSide = (c: { left: { output: string } }): ComparisonChoice =>
	c.left.output.startsWith('A good') ? 'left' : 'right';

describe('queueing comparisons', () => {
	it('refuses an output with itself and outputs of different inputs, writing nothing', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 2);
		const self = { first: pairs[0].first, second: pairs[0].first };
		expect(await queueComparisons(db, target, [pairs[1], self], admin.id, T0)).toEqual({
			ok: false,
			status: 400,
			message: 'An output cannot be compared with itself.'
		});
		const crossed = { first: pairs[0].first, second: pairs[1].second };
		expect(await queueComparisons(db, target, [pairs[1], crossed], admin.id, T0)).toMatchObject({
			ok: false,
			message: 'Only two outputs for the same input can be compared.'
		});
		expect(await db.select().from(comparison)).toEqual([]);
	});

	it('leaves out two outputs with the same text, and a pair already queued either way round', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 2);
		// A second model that answered question 1 word for word as the first.
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ output: 'A good answer to 1' })
				.where(eq(revision.id, pairs[1].second.revisionId))
		);
		expect(await queueComparisons(db, target, [pairs[0], pairs[1]], admin.id, T0)).toEqual({
			ok: true,
			created: 1,
			alreadyQueued: 0,
			identical: 1
		});
		await db.transaction(async (tx) =>
			tx
				.update(revision)
				.set({ output: 'poor 1' })
				.where(eq(revision.id, pairs[1].second.revisionId))
		);
		const reversed = { first: pairs[0].second, second: pairs[0].first };
		expect(await queueComparisons(db, target, [reversed, pairs[1]], admin.id, T0)).toEqual({
			ok: true,
			created: 1,
			alreadyQueued: 1,
			identical: 0
		});
		expect(await db.select().from(comparison)).toHaveLength(2);
	});

	it('pairs a job’s two teachers’ outputs input by input', async () => {
		standin = await startStandin({ answerOpenings: { 'student-small': 'Briefly: ' } });
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId, providerId } = await standinProvider(db, standin.url);
		const other = await addModel(db, providerId, {
			name: 'student-small',
			inputPricePerMTok: 1,
			outputPricePerMTok: 1
		});
		runner = new JobRunner(db, { key: TEST_SECRET, baseBackoffMs: 20, pollMs: 50 });
		await runner.start();
		const jobId = await startJob(
			db,
			target,
			admin.id,
			[modelId, other.id],
			['One?', 'Two?', 'Three?']
		);
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const made = await compareJobOutputs(db, target, jobId, admin.id, T0);
		expect(made).toMatchObject({ ok: true, created: 3 });
		const queued = await db.select().from(comparison);
		const outputs = await db
			.select({ id: example.id, modelId: revision.authorModelId, inputHash: example.inputHash })
			.from(example)
			.innerJoin(revision, eq(revision.exampleId, example.id));
		const of = (id: number) => outputs.find((o) => o.id === id)!;
		for (const c of queued) {
			expect(of(c.firstExampleId).inputHash).toBe(of(c.secondExampleId).inputHash);
			expect([of(c.firstExampleId).modelId, of(c.secondExampleId).modelId].sort()).toEqual(
				[modelId, other.id].sort()
			);
			expect(c.jobId).toBe(jobId);
		}
	});

	it('pairs two samples of one teacher, input by input', async () => {
		standin = await startStandin({ variedSamples: true });
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId } = await standinProvider(db, standin.url);
		runner = new JobRunner(db, { key: TEST_SECRET, baseBackoffMs: 20, pollMs: 50 });
		await runner.start();
		const jobId = await startJob(db, target, admin.id, [modelId], ['One?', 'Two?'], {
			samplesPerInput: 2
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		expect(await compareJobOutputs(db, target, jobId, admin.id, T0)).toEqual({
			ok: true,
			created: 2,
			alreadyQueued: 0,
			identical: 0
		});
		// Asked again, nothing new is queued.
		expect(await compareJobOutputs(db, target, jobId, admin.id, T0)).toMatchObject({
			created: 0,
			alreadyQueued: 2
		});
	});
});

let standin: Standin | undefined;
let runner: JobRunner | undefined;
afterEach(async () => {
	await runner?.stop();
	await standin?.close();
	runner = undefined;
	standin = undefined;
});

describe('the comparison queue', () => {
	it('shows each person the sides in an order of their own, balanced over 1,000 comparisons', () => {
		const lefts = (userId: string) =>
			Array.from({ length: 1000 }, (_, i) => firstOnLeftFor(i + 1, userId));
		const mine = lefts('annotator-one');
		const theirs = lefts('annotator-two');
		// Binomial(1000, 0.5): 95% of counts fall within 500 ± 1.96·√250, that is 469 to 531.
		for (const sides of [mine, theirs]) {
			const count = sides.filter(Boolean).length;
			expect(count).toBeGreaterThanOrEqual(469);
			expect(count).toBeLessThanOrEqual(531);
		}
		const differ = mine.filter((side, i) => side !== theirs[i]).length;
		expect(differ).toBeGreaterThanOrEqual(469);
		expect(differ).toBeLessThanOrEqual(531);
	});

	it('leases no comparison past its overlap, records each choice in its own order, and settles it', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 1, 2);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann, bob, cy] = await people(db, target.id, 3);
		const a = (await claimComparison(db, target.id, ann.id, T0))!;
		const b = (await claimComparison(db, target.id, bob.id, T0))!;
		expect(a.comparisonId).toBe(b.comparisonId);
		// Two live leases fill the overlap of two.
		expect(await claimComparison(db, target.id, cy.id, T0)).toBeNull();
		expect(a.input).toBe('Question 0');
		// The good answer is shown on the side the person's hash says, and nothing says which.
		expect(a.left.output.startsWith('A good')).toBe(firstOnLeftFor(a.comparisonId, ann.id));
		expect(a).not.toHaveProperty('firstOnLeft');

		// Ann picks the good answer by its side; Bob calls it a tie: disputed.
		expect(
			(
				await judgeComparison(
					db,
					target.id,
					ann.id,
					judgment(a.comparisonId, goodSide(a), { strength: 2 }),
					T0
				)
			).ok
		).toBe(true);
		expect(
			(
				await judgeComparison(
					db,
					target.id,
					bob.id,
					judgment(b.comparisonId, 'tie', { strength: 2 }),
					T0
				)
			).ok
		).toBe(true);
		const saved = await db.select().from(comparisonJudgment).orderBy(comparisonJudgment.id);
		expect(saved.map((j) => [j.preferred, j.strength, j.firstOnLeft])).toEqual([
			['first', 2, firstOnLeftFor(a.comparisonId, ann.id)],
			['tie', null, firstOnLeftFor(b.comparisonId, bob.id)]
		]);
		const [row] = await db.select().from(comparison);
		expect(row).toMatchObject({ status: 'disputed', judgmentCount: 2, preferred: null });
		// Nobody judges twice; a settled or disputed comparison is served to no one.
		expect(await claimComparison(db, target.id, ann.id, T0)).toBeNull();
		expect(await claimComparison(db, target.id, cy.id, T0)).toBeNull();
	});

	it('frees an expired lease, and refuses a judgment on a lease that ran out', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 1);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann, bob] = await people(db, target.id, 2);
		const held = (await claimComparison(db, target.id, ann.id, T0))!;
		expect(await claimComparison(db, target.id, bob.id, minutesAfter(5))).toBeNull();
		const later = minutesAfter(target.leaseMinutes + 1);
		expect((await claimComparison(db, target.id, bob.id, later))!.comparisonId).toBe(
			held.comparisonId
		);
		expect(
			await judgeComparison(db, target.id, ann.id, judgment(held.comparisonId, 'left'), later)
		).toMatchObject({
			ok: false,
			status: 409
		});
		expect(await db.select().from(comparisonJudgment)).toEqual([]);
	});

	it('skips, and undoes a judgment while its lease time lasts', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 2);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann] = await people(db, target.id, 1);
		const first = (await claimComparison(db, target.id, ann.id, T0))!;
		expect(await skipComparison(db, target.id, ann.id, first.comparisonId, T0)).toBe(true);
		const second = (await claimComparison(db, target.id, ann.id, T0))!;
		expect(second.comparisonId).not.toBe(first.comparisonId);
		const judged = await judgeComparison(
			db,
			target.id,
			ann.id,
			judgment(second.comparisonId, 'right'),
			T0
		);
		if (!judged.ok) throw new Error(judged.message);
		expect(
			(await db.select().from(comparison).where(eq(comparison.id, second.comparisonId)))[0].status
		).toBe('settled');
		// The skipped one is not served again, and the queue is empty.
		expect(await claimComparison(db, target.id, ann.id, T0)).toBeNull();
		expect(await undoComparison(db, target.id, ann.id, judged.judgmentId, minutesAfter(1))).toEqual(
			{
				ok: true,
				comparisonId: second.comparisonId
			}
		);
		const [row] = await db.select().from(comparison).where(eq(comparison.id, second.comparisonId));
		expect(row).toMatchObject({ status: 'open', judgmentCount: 0, preferred: null });
		expect((await claimComparison(db, target.id, ann.id, minutesAfter(1)))!.comparisonId).toBe(
			second.comparisonId
		);
	});

	it('makes a repair of the better output a revision like any other, and refuses one for a tie', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 1);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann] = await people(db, target.id, 1);
		const held = (await claimComparison(db, target.id, ann.id, T0))!;
		expect(
			await judgeComparison(
				db,
				target.id,
				ann.id,
				judgment(held.comparisonId, 'tie', { repair: 'x' }),
				T0
			)
		).toMatchObject({ ok: false, status: 400 });
		const judged = await judgeComparison(
			db,
			target.id,
			ann.id,
			judgment(held.comparisonId, goodSide(held), {
				repair: 'A better answer to 0',
				reason: 'shorter'
			}),
			T0
		);
		if (!judged.ok) throw new Error(judged.message);
		const good = pairs[0].first.exampleId;
		const chain = await db
			.select()
			.from(revision)
			.where(eq(revision.exampleId, good))
			.orderBy(revision.number);
		expect(chain.map((r) => [r.number, r.output, r.authorKind])).toEqual([
			[1, 'A good answer to 0', 'import'],
			[2, 'A better answer to 0', 'user']
		]);
		const [goodExample] = await db.select().from(example).where(eq(example.id, good));
		expect(goodExample.currentRevisionId).toBe(judged.repairRevisionId);
		expect(goodExample.status).toBe('queued');
		// The repair cannot be undone.
		expect(await undoComparison(db, target.id, ann.id, judged.judgmentId, T0)).toMatchObject({
			ok: false,
			status: 409
		});
	});
});

describe('what a judgment may not do', () => {
	it('repair a gold answer, or add to a comparison that has its judgments', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 1);
		await queueComparisons(db, target, pairs, admin.id, T0);
		await markGold(db, target.id, pairs[0].first.exampleId, 5, T0);
		const [ann, bob] = await people(db, target.id, 2);
		const held = (await claimComparison(db, target.id, ann.id, T0))!;
		const late = (await claimComparison(db, target.id, bob.id, minutesAfter(11)))!;
		expect(late.comparisonId).toBe(held.comparisonId);
		expect(
			await judgeComparison(
				db,
				target.id,
				ann.id,
				judgment(held.comparisonId, goodSide(held), { repair: 'Another answer' }),
				T0
			)
		).toMatchObject({ ok: false, status: 409 });
		const chain = await db
			.select()
			.from(revision)
			.where(eq(revision.exampleId, pairs[0].first.exampleId));
		expect(chain).toHaveLength(1);
		// Ann's lease ran out while Bob judged; hers then finds it settled.
		expect(
			(
				await judgeComparison(
					db,
					target.id,
					bob.id,
					judgment(late.comparisonId, 'tie'),
					minutesAfter(11)
				)
			).ok
		).toBe(true);
		await db.transaction(async (tx) =>
			tx.update(comparisonLease).set({ leaseExpiresAt: minutesAfter(30) })
		);
		expect(
			await judgeComparison(
				db,
				target.id,
				ann.id,
				judgment(held.comparisonId, 'left'),
				minutesAfter(12)
			)
		).toMatchObject({ ok: false, status: 409 });
	});

	it('an undone judgment comes back first, before the comparison fetched ahead', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 3);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann] = await people(db, target.id, 1);
		const first = (await claimComparison(db, target.id, ann.id, T0))!;
		const ahead = (await claimComparison(db, target.id, ann.id, T0, [first.comparisonId]))!;
		const judged = await judgeComparison(
			db,
			target.id,
			ann.id,
			judgment(first.comparisonId, 'left'),
			T0
		);
		if (!judged.ok) throw new Error(judged.message);
		const third = (await claimComparison(db, target.id, ann.id, T0, [ahead.comparisonId]))!;
		await undoComparison(db, target.id, ann.id, judged.judgmentId, T0);
		// Three held now: the one fetched ahead, the one on screen, and the one given back.
		const shown = await claimComparison(
			db,
			target.id,
			ann.id,
			T0,
			[third.comparisonId],
			1,
			first.comparisonId
		);
		expect(shown!.comparisonId).toBe(first.comparisonId);
	});
});

describe('the position-bias flag', () => {
	it('is raised outside 45–55% only when the interval also leaves out a half', () => {
		expect(positionBias(40, 40).flagged).toBe(true);
		expect(positionBias(1000, 600).flagged).toBe(true);
		expect(positionBias(40, 20).flagged).toBe(false);
		// 26 of 40 is 65%, but its Wilson interval (49.5% to 78.0%) still holds a half.
		const unsure = positionBias(40, 26);
		expect(unsure.low).toBeCloseTo(0.495, 3);
		expect(unsure.flagged).toBe(false);
		// 540 of 1,000: the interval (50.9% to 57.1%) leaves out a half, but 54% is within 5 points.
		expect(positionBias(1000, 540).flagged).toBe(false);
		expect(positionBias(0, 0)).toMatchObject({ share: null, flagged: false });
	});
});

describe('figures of comparisons', () => {
	it('flags a person who always picks the left output, and not one who picks by content', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 40, 2);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [lefty, reader] = await people(db, target.id, 2);
		for (const [person, pick] of [
			[lefty, () => 'left' as const],
			[reader, goodSide]
		] as const) {
			for (let c = await claimComparison(db, target.id, person.id, T0); c;) {
				const saved = await judgeComparison(
					db,
					target.id,
					person.id,
					judgment(c.comparisonId, pick(c)),
					T0
				);
				expect(saved.ok).toBe(true);
				c = await claimComparison(db, target.id, person.id, T0);
			}
		}
		const figures = (await comparisonFigures(db, (await getProject(db, target.id))!))!;
		const of = (id: string) => figures.annotators.find((a) => a.userId === id)!;
		expect(of(lefty.id).position).toMatchObject({ picks: 40, left: 40, share: 1, flagged: true });
		expect(of(lefty.id).position.high).toBe(1);
		// The reader's left picks are where their order put the good answer on the left: about
		// half, as chance gives it (a person's order is random, so the count varies by person).
		const readerLeft = pairs.filter((_, i) => firstOnLeftFor(i + 1, reader.id)).length;
		expect(of(reader.id).position).toMatchObject({ picks: 40, left: readerLeft });
		expect(of(reader.id).position).toEqual(positionBias(40, readerLeft));
		// They agree where the good answer was on the left, and on nothing else.
		expect(figures.units).toBe(40);
		expect(figures.counts.settled + figures.counts.disputed).toBe(40);
		const agreed = pairs.filter((_, i) => firstOnLeftFor(i + 1, lefty.id)).length;
		expect(figures.counts.settled).toBe(agreed);
		expect(figures.alpha.value!.alpha).toBeLessThan(0.5);
	});

	it('measures people on gold comparisons, mixed in at the gold rate', async () => {
		const db = await testDb();
		const { admin, target, pairs } = await pairedProject(db, 3);
		await db.transaction(async (tx) =>
			tx.update(project).set({ goldRate: 0.5 }).where(eq(project.id, target.id))
		);
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [gold] = await db.select().from(comparison).orderBy(comparison.id).limit(1);
		expect(await setComparisonGold(db, target.id, gold.id, 'first', T0)).toBe(true);
		const [ann] = await people(db, target.id, 1);
		// A roll under the rate serves the gold one; over it, ordinary work.
		const ordinary = (await claimComparison(db, target.id, ann.id, T0, [], 0.9))!;
		expect(ordinary.comparisonId).not.toBe(gold.id);
		// The one on screen is passed in, as the page does when it asks for the next.
		const served = (await claimComparison(db, target.id, ann.id, T0, [ordinary.comparisonId], 0))!;
		expect(served.comparisonId).toBe(gold.id);
		const wrong: ComparisonChoice = goodSide(served) === 'left' ? 'right' : 'left';
		expect((await judgeComparison(db, target.id, ann.id, judgment(gold.id, wrong), T0)).ok).toBe(
			true
		);
		const [after] = await db.select().from(comparison).where(eq(comparison.id, gold.id));
		expect(after).toMatchObject({ status: 'open', judgmentCount: 1 });
		const figures = (await comparisonFigures(db, (await getProject(db, target.id))!))!;
		expect(figures.annotators[0].gold).toMatchObject({ judged: 1, right: 0 });
	});
});

describe('preference files from comparisons', () => {
	it('give the preferred output over the other as DPO and TRL pairs, and both sides to KTO', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, {
			splitTrain: 100,
			splitVal: 0,
			splitTest: 0
		});
		await importRows(
			db,
			target,
			Array.from({ length: 4 }, (_, i) => [
				{ input: `Question ${i}`, output: `A good answer to ${i}` },
				{ input: `Question ${i}`, output: `poor ${i}` }
			]).flat()
		);
		const rows = await examplesOf(db, target.id);
		const pairs = [0, 2, 4, 6].map((i) => ({
			first: { exampleId: rows[i].id, revisionId: rows[i].currentRevisionId! },
			second: { exampleId: rows[i + 1].id, revisionId: rows[i + 1].currentRevisionId! }
		}));
		await queueComparisons(db, target, pairs, admin.id, T0);
		const [ann] = await people(db, target.id, 1);
		// Three prefer the good answer; the last is called a tie, which makes no pair.
		for (let c = await claimComparison(db, target.id, ann.id, T0); c;) {
			const tie = c.input === 'Question 3';
			await judgeComparison(
				db,
				target.id,
				ann.id,
				judgment(c.comparisonId, tie ? 'tie' : goodSide(c)),
				T0
			);
			c = await claimComparison(db, target.id, ann.id, T0);
		}
		// The good answers are accepted, the poor ones rejected, as reviews do.
		for (let c = await claimNext(db, target.id, ann.id, T0); c;) {
			const good = rows.find((r) => r.id === c!.exampleId)!.id % 2 === rows[0].id % 2;
			await submitReview(
				db,
				target.id,
				ann.id,
				reviewSubmission(c, { rating: good ? 5 : 1, decision: good ? 'accept' : 'reject' }),
				T0
			);
			c = await claimNext(db, target.id, ann.id, T0);
		}
		const frozen = await freezeDataset(
			db,
			target,
			'preferences',
			datasetFilterSchema.parse({}),
			admin.id
		);
		if (!frozen.ok) throw new Error(frozen.message);
		const project = (await getProject(db, target.id))!;
		const fileOf = async (format: ExportFormat) => {
			const lines: string[] = [];
			for await (const line of linesOf(
				exportChunks(db, project, frozen.datasetId, { format, split: 'train', reasoning: false })
			))
				lines.push(line);
			return lines;
		};
		const files = await exportFiles(db, (await getDataset(db, target.id, frozen.datasetId))!);
		expect(files.train).toMatchObject({ examples: 4, pairs: 3, worse: 3 });

		const dpo = await fileOf('openai_dpo');
		expect(dpo).toHaveLength(linesIn(files.train, { format: 'openai_dpo', reasoning: false }));
		const line = JSON.parse(dpo[0]);
		// The student's system prompt, then the input.
		expect(line.input.messages.at(-1)).toEqual({ role: 'user', content: 'Question 0' });
		expect(line.preferred_output).toEqual([{ role: 'assistant', content: 'A good answer to 0' }]);
		expect(line.non_preferred_output).toEqual([{ role: 'assistant', content: 'poor 0' }]);
		const trl = await fileOf('trl_preference');
		expect(trl.map((l) => JSON.parse(l).rejected[0].content)).toEqual([
			'poor 0',
			'poor 1',
			'poor 2'
		]);
		const kto = await fileOf('trl_kto');
		expect(kto).toHaveLength(7);
		expect(kto.map((l) => JSON.parse(l).label).filter((label) => !label)).toHaveLength(3);
		expect(kto).toHaveLength(linesIn(files.train, { format: 'trl_kto', reasoning: false }));
		for (const [format, lines] of [
			['openai_dpo', dpo],
			['trl_preference', trl],
			['trl_kto', kto]
		] as const) {
			expect(await checkPreferenceLines(lines, format)).toEqual({
				lines: lines.length,
				problems: []
			});
		}
		// The files are frozen with the dataset: a judgment taken back later changes none.
		const [firstJudgment] = await db
			.select()
			.from(comparisonJudgment)
			.where(eq(comparisonJudgment.userId, ann.id))
			.orderBy(comparisonJudgment.id)
			.limit(1);
		expect((await undoComparison(db, target.id, ann.id, firstJudgment.id, T0)).ok).toBe(true);
		expect(await fileOf('openai_dpo')).toEqual(dpo);
		expect(await fileOf('trl_kto')).toEqual(kto);
		// The check refuses what a trainer would: a pair whose two outputs are the same.
		const same = JSON.parse(trl[0]);
		same.rejected = same.chosen;
		expect((await checkPreferenceLines([JSON.stringify(same)], 'trl_preference')).problems).toEqual(
			[{ line: 1, message: 'line: both outputs are the same' }]
		);
	});
});

describe('a KTO file', () => {
	it('never calls undesirable an output the dataset holds as desirable', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, { splitTrain: 100, splitVal: 0, splitTest: 0 });
		await importRows(db, target, [
			{ input: 'Question', output: 'A good answer' },
			{ input: 'Question', output: 'A fair answer' }
		]);
		const rows = await examplesOf(db, target.id);
		await queueComparisons(
			db,
			target,
			[
				{
					first: { exampleId: rows[0].id, revisionId: rows[0].currentRevisionId! },
					second: { exampleId: rows[1].id, revisionId: rows[1].currentRevisionId! }
				}
			],
			admin.id,
			T0
		);
		const [ann] = await people(db, target.id, 1);
		const c = (await claimComparison(db, target.id, ann.id, T0))!;
		await judgeComparison(db, target.id, ann.id, judgment(c.comparisonId, goodSide(c)), T0);
		// Both answers are accepted: the fair one is worse, and still good enough to train on.
		for (let e = await claimNext(db, target.id, ann.id, T0); e;) {
			await submitReview(db, target.id, ann.id, reviewSubmission(e), T0);
			e = await claimNext(db, target.id, ann.id, T0);
		}
		const frozen = await freezeDataset(db, target, 'both', datasetFilterSchema.parse({}), admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const lines: string[] = [];
		for await (const line of linesOf(
			exportChunks(db, target, frozen.datasetId, {
				format: 'trl_kto',
				split: 'train',
				reasoning: false
			})
		))
			lines.push(line);
		expect(lines.map((l) => JSON.parse(l).label)).toEqual([true, true]);
		const files = await exportFiles(db, (await getDataset(db, target.id, frozen.datasetId))!);
		expect(files.train).toMatchObject({ pairs: 1, worse: 0 });
		expect(linesIn(files.train, { format: 'trl_kto', reasoning: false })).toBe(2);
	});
});

describe('comparisons of two evaluated models', () => {
	it('pair the two models’ answers to every held-out input both answered', async () => {
		standin = await startStandin({ answerOpenings: { 'student-small': 'Briefly: ' } });
		const running: { stop(): Promise<void> }[] = [];
		try {
			const env = await loopSetup(await testDb(), standin, running);
			const student = await addModel(env.db, env.providerId, {
				name: 'student-small',
				inputPricePerMTok: 0,
				outputPricePerMTok: 0
			});
			await evaluateOnTests(env, [env.teacherId, student.id]);
			const target = (await getProject(env.db, env.target.id))!;
			const heldOut = (await env.db.select().from(example).where(eq(example.split, 'test'))).filter(
				(e) => e.source === 'import'
			).length;
			expect(
				await compareModels(env.db, target, env.teacherId, env.teacherId, env.admin.id, T0)
			).toMatchObject({
				ok: false,
				status: 400
			});
			expect(
				await compareModels(env.db, target, env.teacherId, student.id, env.admin.id, T0)
			).toEqual({
				ok: true,
				created: heldOut,
				alreadyQueued: 0,
				identical: 0
			});
			const [ann] = await people(env.db, target.id, 1);
			const shown = (await claimComparison(env.db, target.id, ann.id, T0))!;
			// Blind: the two answers, and nothing of who wrote them.
			expect(Object.keys(shown).sort()).toEqual(
				['comparisonId', 'input', 'leaseExpiresAt', 'left', 'right'].sort()
			);
			expect(JSON.stringify(shown)).not.toMatch(/teacher-large|student-small|Stand-in/);
		} finally {
			for (const r of running.splice(0)) await r.stop();
		}
	});
});
