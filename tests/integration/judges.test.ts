import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { example, job, judge, judgment, model, review, revision } from '$lib/server/db/schema';
import {
	createJudge,
	deleteJudge,
	DEFAULT_RUBRIC,
	listJudges,
	rubricAsSent,
	tryJudge,
	updateJudge
} from '$lib/server/judges';
import { judgeRuns, runnableJudge, saveJudgment, startJudgeRun } from '$lib/server/judges/run';
import { createJob } from '$lib/server/jobs';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '$lib/schemas/job';
import { judgeAgreement, judgesSideBySide } from '$lib/server/judges/agreement';
import { cohenKappa, krippendorffAlpha } from '$lib/agreement';
import { addMember, listRequirements } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { claimForScreen, reviewSetup } from '$lib/server/reviewScreen';
import { getExampleDetail } from '$lib/server/examples';
import { JobRunner } from '$lib/server/jobs/runner';
import { freezeDataset } from '$lib/server/datasets';
import { exportChunks } from '$lib/server/datasets/export';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { acceptEverything } from '../support/e2e';
import { itemsOf, jobReaches, jobRow } from '../support/jobs';
import { standinProvider, TEST_SECRET } from '../support/jobs';
import type { Db } from '$lib/server/db';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

let standin: Standin;
beforeAll(async () => {
	standin = await startStandin();
});
afterAll(async () => {
	await standin.close();
});

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, {
		instruction: 'Answer the customer briefly.',
		requirements: [
			{ name: 'Correct', description: 'No wrong facts.' },
			{ name: 'Polite', description: '' }
		]
	});
	await importRows(db, target, [
		{ input: 'Where is my parcel?', output: 'On its way, due Friday.' },
		{ input: 'Can I return shoes?', output: 'No. [defect]' }
	]);
	const { modelId } = await standinProvider(db, standin.url);
	const input = {
		name: 'Strict',
		modelId,
		rubric: DEFAULT_RUBRIC,
		withReference: false,
		temperature: 0
	};
	return { db, admin, target, modelId, input };
}

describe('judges', () => {
	it('are made, renamed and removed per project, with one name each', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		expect(await createJudge(db, target.id, input, admin.id)).toEqual({
			ok: false,
			status: 409,
			field: 'name',
			message: 'This project already has a judge named “Strict”.'
		});
		expect(await createJudge(db, target.id, { ...input, modelId: 9999 }, admin.id)).toMatchObject({
			ok: false,
			field: 'modelId'
		});
		expect(await updateJudge(db, target.id, made.judgeId, { ...input, name: 'Lenient' })).toEqual({
			ok: true,
			judgeId: made.judgeId
		});
		expect((await listJudges(db, target.id)).map((j) => [j.name, j.modelLabel])).toEqual([
			['Lenient', 'teacher-large (Stand-in)']
		]);
		// Another project's judge is not this one's to change.
		const other = await makeProject(db, admin.id, { name: 'Other' });
		expect(await updateJudge(db, other.id, made.judgeId, input)).toMatchObject({ status: 404 });
		expect(await deleteJudge(db, other.id, made.judgeId)).toBe(false);
		expect(await deleteJudge(db, target.id, made.judgeId)).toBe(true);
		expect(await db.select().from(judge)).toEqual([]);
	});

	it('is shown its rubric with the project’s words, and answers on the scale with reasons', async () => {
		const { db, admin, target, input } = await setup();
		const sent = await rubricAsSent(db, target, DEFAULT_RUBRIC);
		expect(sent).toContain('Answer the customer briefly.');
		expect(sent).toContain('- Correct: No wrong facts.\n- Polite');
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);

		// The latest output carries a planted defect; the stand-in's judge catches it here.
		standin.set({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
		const caught = await tryJudge(db, TEST_SECRET, target, made.judgeId, null);
		if (!caught.ok) throw new Error(caught.message);
		expect(caught.system).toBe(sent);
		expect(caught.user).toBe('Input:\nCan I return shoes?\n\nOutput to judge:\nNo. [defect]');
		expect(caught.judgment).toMatchObject({ ok: true, rating: 1 });
		const names = Object.values(caught.requirementNames);
		expect(names).toEqual(['Correct', 'Polite']);

		const good = await tryJudge(db, TEST_SECRET, target, made.judgeId, caught.exampleId - 1);
		if (!good.ok) throw new Error(good.message);
		expect(good.judgment).toMatchObject({ ok: true, rating: 5 });
		standin.set({ judgeCatchRate: 0.8, judgeFalseFailRate: 0.1 });
	});

	it('an answer off the schema is read as a refusal with the reason, and nothing is stored', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ plan: () => 'invalid' });
		try {
			const trial = await tryJudge(db, TEST_SECRET, target, made.judgeId, null);
			expect(trial).toMatchObject({
				ok: true,
				judgment: { ok: false, reason: 'The judge gave no rating for the output overall.' }
			});
		} finally {
			standin.set({ plan: undefined });
		}
		expect(await tryJudge(db, TEST_SECRET, target, made.judgeId, 424242)).toEqual({
			ok: false,
			message: 'Example 424242 is not in this project or has no output to judge.'
		});
		await db.transaction(async (tx) => tx.delete(model).where(eq(model.id, input.modelId)));
		expect(await tryJudge(db, TEST_SECRET, target, made.judgeId, null)).toEqual({
			ok: false,
			message: 'The judge’s model was removed: choose another model for it first.'
		});
	});
});

const runners: JobRunner[] = [];
afterEach(async () => {
	for (const r of runners.splice(0)) await r.stop();
	standin.set({ judgeCatchRate: 0.8, judgeFalseFailRate: 0.1, plan: undefined, latencyMs: 0 });
});

async function runner(db: Db) {
	const r = new JobRunner(db, { key: TEST_SECRET, pollMs: 20 });
	runners.push(r);
	await r.start();
	return r;
}

/** Every file a dataset would give, split by split. */
async function files(db: Db, target: Parameters<typeof exportChunks>[1], datasetId: number) {
	let all = '';
	for (const split of ['train', 'val', 'test'] as const) {
		for await (const chunk of exportChunks(db, target, datasetId, {
			format: 'openai',
			split,
			reasoning: false
		})) {
			all += chunk;
		}
	}
	return all;
}

describe('judge runs', () => {
	it('rate each output once, apart from people’s reviews, and change no rating, status or file', async () => {
		const { db, admin, target, input } = await setup();
		await importRows(
			db,
			target,
			Array.from({ length: 30 }, (_, i) => ({
				input: `question ${i}`,
				output: i % 3 === 0 ? `answer ${i} [defect]` : `answer ${i}`
			}))
		);
		// People accept some first; the judge's ratings must leave all of it as it was.
		await acceptEverything(db, target.id, admin.id, 'before');
		const before = await freezeDataset(
			db,
			target,
			'before',
			datasetFilterSchema.parse({}),
			admin.id
		);
		if (!before.ok) throw new Error(before.message);
		const statuses = await db
			.select({ id: example.id, status: example.status })
			.from(example)
			.orderBy(example.id);
		const reviews = await db.select().from(review);

		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ judgeCatchRate: 1, judgeFalseFailRate: 0 });
		const started = await startJudgeRun(db, target, made.judgeId, { kind: 'all' }, admin.id);
		if (!started.ok) throw new Error(started.message);
		// Started once the run exists, so its first look finds it and keeps looking.
		await runner(db);
		expect(started.items).toBe(32);
		await jobReaches(db, started.jobId, ['done']);

		const rated = await db.select().from(judgment);
		expect(rated).toHaveLength(32);
		const byExample = new Map(rated.map((j) => [j.exampleId, j]));
		const outputs = await db
			.select({ id: example.id, revisionId: revision.id, output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId));
		for (const one of outputs) {
			const mine = byExample.get(one.id)!;
			expect(mine.revisionId).toBe(one.revisionId);
			expect(mine.rating).toBe(one.output!.includes('[defect]') ? 1 : 5);
		}
		expect(
			await db.select({ id: example.id, status: example.status }).from(example).orderBy(example.id)
		).toEqual(statuses);
		expect(await db.select().from(review)).toEqual(reviews);
		const after = await freezeDataset(db, target, 'after', datasetFilterSchema.parse({}), admin.id);
		if (!after.ok) throw new Error(after.message);
		expect(await files(db, target, after.datasetId)).toBe(
			await files(db, target, before.datasetId)
		);

		// Nothing left to judge: every current output has this judge's rating.
		expect(await startJudgeRun(db, target, made.judgeId, { kind: 'all' }, admin.id)).toEqual({
			ok: false,
			message:
				'This judge has rated every output in this selection already (32); a repaired output is judged afresh.'
		});
	});

	it('judge a job’s outputs as they arrive, each once, and end after the job', async () => {
		const { db, admin, target, modelId, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ latencyMs: 25 });
		const jobId = await createJob(db, target, admin.id, {
			modelIds: [modelId],
			settings: jobSettingsSchema.parse({ ...JOB_SETTING_DEFAULTS, concurrency: '2' }),
			inputs: Array.from({ length: 12 }, (_, i) => `arriving ${i}${i % 4 ? '' : ' [defect]'}`),
			source: { kind: 'file', filename: 'arrivals.jsonl' },
			judgeId: made.judgeId
		});
		const following = (await db.select().from(job).where(eq(job.followsJobId, jobId)))[0]!;
		expect(following).toMatchObject({ kind: 'judge', judgeId: made.judgeId, status: 'running' });
		await runner(db);
		await jobReaches(db, jobId, ['done']);
		await jobReaches(db, following.id, ['done']);

		const outputs = await db
			.select({ id: example.id, revisionId: example.currentRevisionId })
			.from(example)
			.where(eq(example.jobId, jobId));
		expect(outputs).toHaveLength(12);
		const rated = await db.select().from(judgment).where(eq(judgment.judgeId, made.judgeId));
		expect(rated.map((j) => j.revisionId).sort()).toEqual(outputs.map((o) => o.revisionId).sort());
		expect(await itemsOf(db, following.id)).toHaveLength(12);
		// Judged while the job was still writing, and finished only after it.
		const [distilled, judgedRun] = await Promise.all([jobRow(db, jobId), jobRow(db, following.id)]);
		const firstJudged = Math.min(...rated.map((j) => j.createdAt.getTime()));
		expect(firstJudged).toBeLessThan(distilled.finishedAt!.getTime());
		expect(judgedRun.finishedAt!.getTime()).toBeGreaterThanOrEqual(distilled.finishedAt!.getTime());
	});

	it('a job refuses a judge that cannot follow it, with the reason', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		const other = await makeProject(db, admin.id, { name: 'Elsewhere' });
		expect(await runnableJudge(db, other.id, made.judgeId)).toEqual({
			ok: false,
			message: 'No such judge in this project.'
		});
		await db.transaction((tx) => tx.delete(model).where(eq(model.id, input.modelId)));
		expect(await runnableJudge(db, target.id, made.judgeId)).toEqual({
			ok: false,
			message: 'The judge’s model was removed: choose another model for it first.'
		});
		expect(await runnableJudge(db, target.id, made.judgeId + 1)).toMatchObject({ ok: false });
	});

	it('an answer off the schema fails that item with the reason, and the run goes on', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ plan: (request) => (request.input.includes('shoes') ? 'invalid' : undefined) });
		const started = await startJudgeRun(db, target, made.judgeId, { kind: 'queue' }, admin.id);
		if (!started.ok) throw new Error(started.message);
		// Started once the run exists, so its first look finds it and keeps looking.
		await runner(db);
		await jobReaches(db, started.jobId, ['done']);
		const items = await itemsOf(db, started.jobId);
		expect(items.map((i) => [i.input, i.status, i.error])).toEqual([
			['Where is my parcel?', 'done', null],
			['Can I return shoes?', 'failed', 'The judge gave no rating for the output overall.']
		]);
		expect(await db.select().from(judgment)).toHaveLength(1);
	});

	it('a judge deleted while its run goes on cancels the run, and nothing of it is left', async () => {
		const { db, admin, target, input } = await setup();
		await importRows(
			db,
			target,
			Array.from({ length: 40 }, (_, i) => ({ input: `slow question ${i}`, output: `answer ${i}` }))
		);
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		standin.set({ latencyMs: 150 });
		const started = await startJudgeRun(db, target, made.judgeId, { kind: 'all' }, admin.id, {
			concurrency: 2
		});
		if (!started.ok) throw new Error(started.message);
		// Started once the run exists, so its first look finds it and keeps looking.
		await runner(db);
		for (let i = 0; i < 200 && (await db.select().from(judgment)).length === 0; i++) {
			await new Promise((r) => setTimeout(r, 20));
		}
		expect((await db.select().from(judgment)).length).toBeGreaterThan(0);
		expect(await deleteJudge(db, target.id, made.judgeId)).toBe(true);
		await jobReaches(db, started.jobId, ['cancelled']);
		// Calls in flight when it went write nothing: no rating outlives its judge.
		await new Promise((r) => setTimeout(r, 400));
		expect(await db.select().from(judgment)).toEqual([]);
		expect(await db.select().from(review)).toEqual([]);
		const items = await itemsOf(db, started.jobId);
		expect(items.some((i) => i.status === 'cancelled')).toBe(true);
	});

	it('judge what a filter on the examples page shows, and nothing else', async () => {
		const { db, admin, target, input } = await setup();
		await importRows(db, target, [
			{ input: 'Refund?', output: 'Yes, within 30 days.', tags: ['billing'] },
			{ input: 'Invoice copy?', output: 'Sent again.', tags: ['billing'] },
			{ input: 'Store hours?', output: '9 to 5.' }
		]);
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		const billing = await startJudgeRun(
			db,
			target,
			made.judgeId,
			{ kind: 'filter', filter: { tag: 'billing' }, description: 'tag billing' },
			admin.id
		);
		if (!billing.ok) throw new Error(billing.message);
		expect(billing.items).toBe(2);
		expect((await itemsOf(db, billing.jobId)).map((i) => i.input).sort()).toEqual([
			'Invoice copy?',
			'Refund?'
		]);
		const searched = await startJudgeRun(
			db,
			target,
			made.judgeId,
			{ kind: 'filter', filter: { q: 'hours' }, description: 'q hours' },
			admin.id
		);
		if (!searched.ok) throw new Error(searched.message);
		expect((await itemsOf(db, searched.jobId)).map((i) => i.input)).toEqual(['Store hours?']);
		const run = (await judgeRuns(db, target.id, made.judgeId)).find((r) => r.id === billing.jobId)!;
		expect(JSON.parse(run.config).source.description).toBe(
			'the outputs the examples filter selects (tag billing)'
		);
	});

	it('a run over nothing is refused with the reason, and starts no job', async () => {
		const { db, admin, target, input } = await setup();
		const made = await createJudge(db, target.id, input, admin.id);
		if (!made.ok) throw new Error(made.message);
		expect(
			await startJudgeRun(db, target, made.judgeId, { kind: 'job', jobId: 999 }, admin.id)
		).toEqual({ ok: false, message: 'This selection holds no output to judge.' });
	});
});

describe('a judge measured against people', () => {
	it('on a hand-built case, gives the kappa and alphas the agreement module gives', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const ann = await makeUser(db, 'annotator');
		const bob = await makeUser(db, 'annotator');
		const target = await makeProject(db, admin.id, {
			reviewsRequired: 2,
			threshold: 4,
			requirements: [{ name: 'Correct', description: '' }]
		});
		const [correct] = await listRequirements(db, target.id);
		await addMember(db, target.id, ann.id);
		await addMember(db, target.id, bob.id);
		const people = [
			[5, 5],
			[4, 5],
			[1, 2],
			[2, 2],
			[5, 4],
			[1, 1]
		];
		const judged = [5, 4, 2, 2, 3, 1];
		await importRows(
			db,
			target,
			people.map((_, i) => ({ input: `case ${i}`, output: `answer ${i}` }))
		);
		const ids = (await db.select().from(example).orderBy(example.id)).map((e) => e.id);
		for (const [column, rater] of [ann, bob].entries()) {
			for (let claimed = await claimNext(db, target.id, rater.id, T0); claimed;) {
				const rating = people[ids.indexOf(claimed.exampleId)][column];
				const result = await submitReview(
					db,
					target.id,
					rater.id,
					reviewSubmission(claimed, {
						rating,
						decision: rating >= 4 ? 'accept' : 'reject',
						requirementRatings: new Map([[correct.id, rating]])
					}),
					T0
				);
				if (!result.ok) throw new Error(result.message);
				claimed = await claimNext(db, target.id, rater.id, T0);
			}
		}
		const { modelId } = await standinProvider(db, standin.url);
		const made = await createJudge(
			db,
			target.id,
			{ name: 'Hand', modelId, rubric: DEFAULT_RUBRIC, withReference: false, temperature: null },
			admin.id
		);
		if (!made.ok) throw new Error(made.message);
		const examples = await db.select().from(example).orderBy(example.id);
		await db.transaction(async (tx) => {
			for (const [i, one] of examples.entries()) {
				await saveJudgment(
					tx,
					made.judgeId,
					one.currentRevisionId!,
					{
						ok: true,
						rating: judged[i],
						rationale: '',
						requirements: { [correct.id]: { rating: judged[i], rationale: '' } }
					},
					T0
				);
			}
		});
		expect(examples.map((e) => e.status)).toEqual(
			Array(6)
				.fill('accepted')
				.map((s, i) => (people[i][0] >= 4 ? s : 'rejected'))
		);

		const measured = await judgeAgreement(db, target, made.judgeId);
		expect(measured.units).toBe(6);
		// Final ratings are the means 5, 4.5, 1.5, 2, 4.5, 1, rounded to the scale (a half down).
		const finals = [5, 4, 1, 2, 4, 1];
		const expected = cohenKappa(
			judged.map((j, i) => [j, finals[i]]),
			'quadratic',
			[1, 2, 3, 4, 5]
		);
		expect(measured.kappa.value!.kappa).toBeCloseTo(expected.value!, 12);
		expect(measured.kappa.value!.lower).toBeLessThanOrEqual(expected.value!);
		expect(measured.humanAlpha.value).toBeCloseTo(krippendorffAlpha(people, 'ordinal').value!, 12);
		expect(measured.alphaWithJudge.value).toBeCloseTo(
			krippendorffAlpha(
				people.map((p, i) => [...p, judged[i]]),
				'ordinal'
			).value!,
			12
		);
		// Each annotator against the other, the only other rating of each output.
		const annVsBob = cohenKappa(people, 'quadratic', [1, 2, 3, 4, 5]).value!;
		expect(measured.annotators.map((a) => [a.units, a.kappa.value])).toEqual([
			[6, expect.closeTo(annVsBob, 12)],
			[
				6,
				expect.closeTo(
					cohenKappa(
						people.map(([a, b]) => [b, a]),
						'quadratic',
						[1, 2, 3, 4, 5]
					).value!,
					12
				)
			]
		]);
		// The judge passes 2 of the 3 accepted, and fails all 3 rejected.
		expect(measured.confusion).toEqual({
			passAccepted: 2,
			passRejected: 0,
			failAccepted: 1,
			failRejected: 3
		});
		expect(measured.rejectsCaught).toBe(1);
		expect(measured.failsAccepted).toBe(0.25);
		expect(measured.trust.trusted).toBe(false);
		// The requirement was rated as the whole was: the same figures, from its own ratings.
		expect(measured.requirements.map((r) => [r.name, r.units])).toEqual([['Correct', 6]]);
		expect(measured.requirements[0].kappa.value!.kappa).toBeCloseTo(expected.value!, 12);
		expect(measured.requirements[0].alphaWithJudge.value).toBeCloseTo(
			measured.alphaWithJudge.value!,
			12
		);

		// A second judge rates four of the outputs: the two are compared on those four alone.
		const second = await createJudge(
			db,
			target.id,
			{ name: 'Second', modelId, rubric: DEFAULT_RUBRIC, withReference: false, temperature: null },
			admin.id
		);
		if (!second.ok) throw new Error(second.message);
		const secondRatings = [1, 3, 4, 1];
		await db.transaction(async (tx) => {
			for (const [k, rating] of secondRatings.entries()) {
				await saveJudgment(
					tx,
					second.judgeId,
					examples[k + 2].currentRevisionId!,
					{ ok: true, rating, rationale: '', requirements: {} },
					T0
				);
			}
		});
		const compared = (await judgesSideBySide(db, target, [
			{ id: made.judgeId, name: 'Hand' },
			{ id: second.judgeId, name: 'Second' }
		]))!;
		expect(compared.units).toBe(4);
		const shared = finals.slice(2);
		const [hand, other] = compared.judges;
		expect(hand.measured.units).toBe(4);
		expect(hand.measured.kappa.value!.kappa).toBeCloseTo(
			cohenKappa(
				judged.slice(2).map((j, i) => [j, shared[i]]),
				'quadratic',
				[1, 2, 3, 4, 5]
			).value!,
			12
		);
		expect(other.measured.kappa.value!.kappa).toBeCloseTo(
			cohenKappa(
				secondRatings.map((j, i) => [j, shared[i]]),
				'quadratic',
				[1, 2, 3, 4, 5]
			).value!,
			12
		);
		expect(await judgesSideBySide(db, target, [{ id: made.judgeId, name: 'Hand' }])).toBeNull();
	});
});

it('annotators never see a judge’s rating, rationale or name, on the review screen or an example’s page', async () => {
	const { db, admin, target, input } = await setup();
	const rater = await makeUser(db, 'annotator');
	await addMember(db, target.id, rater.id);
	const made = await createJudge(db, target.id, { ...input, name: 'Hidden Oracle' }, admin.id);
	if (!made.ok) throw new Error(made.message);
	const started = await startJudgeRun(db, target, made.judgeId, { kind: 'all' }, admin.id);
	if (!started.ok) throw new Error(started.message);
	// Started once the run exists, so its first look finds it and keeps looking.
	await runner(db);
	await jobReaches(db, started.jobId, ['done']);
	const rationales = (await db.select().from(judgment)).map((j) => j.rationale);
	expect(rationales.length).toBe(2);

	const seen: unknown[] = [];
	const now = new Date();
	seen.push(await reviewSetup(db, target, rater.id, now));
	for (let claimed = await claimForScreen(db, target.id, rater.id, now); claimed;) {
		seen.push(claimed);
		seen.push(await getExampleDetail(db, target.id, claimed.exampleId, rater));
		const result = await submitReview(db, target.id, rater.id, reviewSubmission(claimed), now);
		if (!result.ok) throw new Error(result.message);
		claimed = await claimForScreen(db, target.id, rater.id, now);
	}
	expect(seen.length).toBe(5);
	const shown = JSON.stringify(seen);
	expect(shown).not.toContain('Hidden Oracle');
	for (const rationale of new Set(rationales)) expect(shown).not.toContain(rationale);
	expect(shown).not.toMatch(/judg/i);
});
