import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
	dataset,
	example,
	fineTune,
	job,
	judgment,
	model,
	provider,
	revision
} from '$lib/server/db/schema';
import { createJudge, DEFAULT_RUBRIC } from '$lib/server/judges';
import { humanShare, judgeShare, predictionPoweredShare } from '$lib/server/judges/estimates';
import { startJudgeRun, startPairwiseRun } from '$lib/server/judges/run';
import { judgedEstimates, pairwiseResults } from '$lib/server/iterations/judged';
import { claimNext } from '$lib/server/queue';
import { queueSettingsOf, updateQueueSettings } from '$lib/server/queuePriority';
import { submitReview } from '$lib/server/reviews';
import { freezeDataset, previewChange } from '$lib/server/datasets';
import {
	datasetInputs,
	listIterations,
	registerServedIteration,
	startEvaluation,
	startNextIteration
} from '$lib/server/iterations';
import { evaluationAnswers, iterationFigures, sideBySide } from '$lib/server/iterations/figures';
import { wilsonInterval } from '$lib/agreement';
import { addMember, getProject } from '$lib/server/projects';
import { addModel } from '$lib/server/providers';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { betweenSlices, importRows, makeProject, reviewSubmission, T0 } from '../support/fixtures';
import { itemsOf, jobReaches, jobRow, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';
import {
	EVALUATION_SETTINGS,
	evaluateOnTests,
	evaluationOf,
	loopSetup,
	nextSpec,
	reviewAll,
	studentJudge
} from '../support/loop';

let standin: Standin;
const running: { stop(): Promise<void> }[] = [];
beforeAll(async () => {
	standin = await startStandin({ fineTuneSeconds: 0.4 });
});
afterAll(async () => {
	await standin.close();
});
afterEach(async () => {
	for (const r of running.splice(0)) await r.stop();
});

const setup = async () => loopSetup(await testDb(), standin, running);

describe('the re-tune loop', () => {
	it('runs two whole iterations: dataset, fine-tune, evaluation, reviews, repairs, again', async () => {
		const env = await setup();
		const { db, target } = env;

		// Iteration 1.
		const first = await startNextIteration(db, target, env.admin.id, nextSpec(env, 'one'));
		if (!first.ok) throw new Error(first.message);
		expect(first.number).toBe(1);
		const firstJob = await evaluationOf(db, first.iterationId);
		const outputs = await db.select().from(example).where(eq(example.jobId, firstJob));
		expect(outputs.length).toBeGreaterThan(0);
		expect(outputs.every((e) => e.source === 'evaluation')).toBe(true);
		expect(new Set(outputs.map((e) => e.split))).toEqual(new Set(['test', 'train']));

		// Unrepaired evaluation outputs are never training data, even once accepted.
		await reviewAll(db, target, env.rater.id, studentJudge(3));
		const repairedTrain = await db
			.select()
			.from(example)
			.where(eq(example.source, 'student_repair'));
		expect(repairedTrain.length).toBe(outputs.filter((e) => e.split === 'train').length);
		// The repairs come back through the queue, to another annotator.
		await reviewAll(db, target, env.checker.id, () => ({}));
		const preview = await previewChange(db, target, datasetFilterSchema.parse({}), first.datasetId);
		expect(preview.addedBySource).toEqual({ student_repair: repairedTrain.length });
		expect(preview.removed).toBe(0);

		// Iteration 2.
		const second = await startNextIteration(db, target, env.admin.id, nextSpec(env, 'two'));
		if (!second.ok) throw new Error(second.message);
		expect(second.number).toBe(2);
		await evaluationOf(db, second.iterationId);
		await reviewAll(db, target, env.rater.id, studentJudge(5));

		// The second dataset holds the repaired student failures; no test input was trained on.
		const [latest, earlier] = await listIterations(db, target.id);
		expect(latest.change).toMatchObject({ added: repairedTrain.length, removed: 0 });
		expect(earlier.change).toBeNull();
		const testInputs = new Set(
			(
				await db.select({ input: example.input }).from(example).where(eq(example.split, 'test'))
			).map((e) => e.input)
		);
		const trainingFiles = standin.uploads.filter((u) => u.filename.includes('-train'));
		expect(trainingFiles.length).toBe(2);
		const trainedOn = trainingFiles.map((file) =>
			file.content
				.split('\n')
				.filter(Boolean)
				.map((line) => JSON.parse(line).messages.find((m: { role: string }) => m.role === 'user'))
				.map((m: { content: string }) => m.content)
		);
		expect(trainedOn.flat().filter((input) => testInputs.has(input))).toEqual([]);
		const repairedOutputs = new Set(
			repairedTrain.map((e) => e.input) // each repaired input now has its repaired answer
		);
		expect(trainingFiles[1].content).toContain('(repaired)');
		expect(trainingFiles[0].content).not.toContain('(repaired)');
		expect(trainedOn[1].filter((input) => repairedOutputs.has(input)).length).toBeGreaterThan(
			repairedTrain.length
		);
		// Each student is evaluated with exactly the system message it was trained on: the
		// instruction and the requirements.
		const trainedSystem = new Set(
			trainingFiles.flatMap((file) =>
				file.content
					.split('\n')
					.filter(Boolean)
					.map((line) => JSON.parse(line).messages[0])
					.map((m: { role: string; content: string }) => `${m.role}: ${m.content}`)
			)
		);
		expect([...trainedSystem]).toEqual([
			'system: Answer the customer politely.\n\nThe output must meet these requirements:\n- Short: one sentence at most'
		]);
		const students = (await listIterations(db, target.id)).map((i) => i.student!);
		expect(students.length).toBe(2);
		for (const student of students) {
			expect([...standin.systemPrompts.get(student.name)!].map((s) => `system: ${s}`)).toEqual([
				...trainedSystem
			]);
		}

		// Both students on the iteration figures, measured on the same held-out inputs.
		const figures = await iterationFigures(db, target, await evaluationAnswers(db, target));
		expect(figures.models.map((m) => m.trainedOn?.iteration)).toEqual([1, 2]);
		const [one, two] = figures.models;
		expect(one.outputs).toBe(figures.commonInputs);
		expect(two.outputs).toBe(figures.commonInputs);
		expect(one.meanRating).toBe(3);
		expect(two.meanRating).toBe(5);
		expect(one.clears).toMatchObject({ count: 0, share: 0 });
		expect(two.clears).toMatchObject({ count: two.rated, share: 1 });
		expect(two.trainedOn!.trainCount).toBeGreaterThan(one.trainedOn!.trainCount);
		// A new student has no prices until an admin gives them.
		expect(one).toMatchObject({ priced: false, costPer1000: 0 });
		expect(one.latencyMedianMs).not.toBeNull();

		const compared = await sideBySide(
			db,
			target,
			await evaluationAnswers(db, target),
			one.modelId,
			two.modelId
		);
		expect(compared.total).toBe(figures.commonInputs);
		expect(compared.paired).toMatchObject({ aBetter: 0, ties: 0, meanDifference: -2 });
		expect(compared.paired.bBetter).toBe(compared.paired.n);
	}, 60_000);

	it('an evaluation run of the teacher pairs with a student on the same inputs', async () => {
		const env = await setup();
		const { db, target } = env;
		const frozen = await freezeDataset(
			db,
			target,
			'v1',
			datasetFilterSchema.parse({}),
			env.admin.id
		);
		if (!frozen.ok) throw new Error(frozen.message);
		const started = await startEvaluation(db, target, env.admin.id, {
			// Named twice, asked once: one answer per input is what pairs up.
			modelIds: [env.teacherId, env.teacherId],
			datasetId: frozen.datasetId,
			splits: ['test'],
			settings: EVALUATION_SETTINGS
		});
		if (!started.ok) throw new Error(started.message);
		// As the routes do: a new job wakes the runner.
		env.runner.wake();
		await jobReaches(db, started.jobId, ['done']);
		const answered = await db.select().from(example).where(eq(example.jobId, started.jobId));
		expect(answered.length).toBe(frozen.counts.test);
		expect(answered.every((e) => e.split === 'test')).toBe(true);
		// Half the teacher's answers clear the threshold.
		let turn = 0;
		await reviewAll(db, target, env.rater.id, () => ({ rating: turn++ % 2 === 0 ? 5 : 3 }));
		// The answers are read a page at a time, letting other work in between, and come out
		// the same as in one read.
		const whole = await evaluationAnswers(db, target, 1_000_000);
		const { result: paged, turns } = await betweenSlices(
			evaluationAnswers(db, target, 3),
			() => {}
		);
		expect(turns).toBeGreaterThan(2);
		expect(paged).toEqual(whole);
		expect(whole.answers.length).toBe(answered.length);
		const [teacher] = (await iterationFigures(db, target, whole)).models;
		expect(teacher.trainedOn).toBeNull();
		// Priced at $1 in and $4 out per million tokens: the jobs' own sums, per 1,000 outputs.
		const spent = (await jobRow(db, started.jobId)).cost;
		expect(teacher.costPer1000).toBeCloseTo((spent / answered.length) * 1000, 9);
		expect(teacher.costPer1000).toBeGreaterThan(0);
		expect(teacher.priced).toBe(true);
		expect(teacher.rated).toBe(answered.length);
		const interval = wilsonInterval(teacher.clears.count, teacher.rated)!;
		expect(teacher.clears.low).toBeCloseTo(interval.low);
		expect(teacher.clears.high).toBeCloseTo(interval.high);
	});

	it('an evaluation judged on every answer while people rate a sample shows both intervals', async () => {
		const env = await setup();
		const { db, target } = env;
		const evaluationJobId = await evaluateOnTests(env, [env.teacherId]);
		const made = await createJudge(
			db,
			target.id,
			{
				name: 'Strict',
				modelId: env.teacherId,
				rubric: DEFAULT_RUBRIC,
				withReference: false,
				temperature: 0
			},
			env.admin.id
		);
		if (!made.ok) throw new Error(made.message);
		const run = await startJudgeRun(
			db,
			target,
			made.judgeId,
			{ kind: 'job', jobId: evaluationJobId },
			env.admin.id
		);
		if (!run.ok) throw new Error(run.message);
		env.runner.wake();
		await jobReaches(db, run.jobId, ['done']);

		// People rate the first half of the answers, passing every other one.
		const answered = await db.select().from(example).where(eq(example.jobId, evaluationJobId));
		const sample = Math.floor(answered.length / 2);
		expect(sample).toBeGreaterThanOrEqual(2);
		for (let i = 0; i < sample; i++) {
			const claimed = (await claimNext(db, target.id, env.rater.id, T0, [], undefined, 1))!;
			const done = await submitReview(
				db,
				target.id,
				env.rater.id,
				reviewSubmission(claimed, { rating: i % 2 === 0 ? 5 : 3 }),
				T0
			);
			if (!done.ok) throw new Error(done.message);
		}

		const answers = await evaluationAnswers(db, target);
		const figures = await iterationFigures(db, target, answers);
		const estimates = await judgedEstimates(db, target, answers, figures);
		expect(estimates).toHaveLength(1);
		const [estimate] = estimates;
		// The verdicts as the tables hold them: the judge's on each answer, people's where given.
		const rows = await db
			.select({ rating: judgment.rating, finalRating: example.finalRating })
			.from(judgment)
			.innerJoin(example, eq(example.id, judgment.exampleId))
			.where(eq(example.jobId, evaluationJobId));
		expect(rows).toHaveLength(answered.length);
		const passes = (rating: number) => (rating >= target.threshold ? 1 : 0);
		const verdicts = {
			judgeOnly: rows.filter((r) => r.finalRating === null).map((r) => passes(r.rating)),
			both: rows
				.filter((r) => r.finalRating !== null)
				.map((r) => ({ judge: passes(r.rating), human: passes(r.finalRating!) }))
		};
		expect(estimate).toMatchObject({
			modelId: env.teacherId,
			judgeName: 'Strict',
			judged: answered.length,
			humanRated: sample
		});
		expect(estimate.predictionPowered).toEqual(predictionPoweredShare(verdicts));
		expect(estimate.humanOnly).toEqual(humanShare(verdicts));
		expect(estimate.humanOnly!.estimate).toBeCloseTo(Math.ceil(sample / 2) / sample, 9);
		expect(estimate.judgeOnly).toBe(judgeShare(verdicts));

		// Once the judges order the queue, only answers served from its audit sample are a random
		// sample of people's: none was, so people's ratings here count for nothing.
		await updateQueueSettings(
			db,
			target.id,
			{ ...queueSettingsOf(target), queueOrder: 'judged', auditPercent: 10 },
			T0
		);
		const guided = (await getProject(db, target.id))!;
		const [steered] = await judgedEstimates(db, guided, answers, figures);
		expect(steered).toMatchObject({ judged: answered.length, humanRated: 0, humanOnly: null });
	});

	it('a pairwise judge compares two models in both orders, so its leaning cancels, and gives the win rate', async () => {
		const env = await setup();
		const { db, target } = env;
		const student = await addModel(db, env.providerId, {
			name: 'student-small',
			inputPricePerMTok: 0.1,
			outputPricePerMTok: 0.4
		});
		await evaluateOnTests(env, [env.teacherId, student.id]);
		// Three of the student's answers carry a defect; the rest are as good as the teacher's.
		const before = await evaluationAnswers(db, target);
		const inputs = [...before.heldOut.get(student.id)!.values()];
		expect(inputs.length).toBeGreaterThanOrEqual(5);
		const flawed = inputs.slice(0, 3).map((a) => a.revisionId);
		await db.transaction(async (tx) => {
			for (const id of flawed) {
				await tx
					.update(revision)
					.set({ output: sql`${revision.output} || ' [defect]'` })
					.where(eq(revision.id, id));
			}
		});
		// A judge that, when it cannot tell, always prefers whichever output it sees first.
		standin.set({ judgePositionBias: 1 });
		const made = await createJudge(
			db,
			target.id,
			{
				name: 'Pairwise',
				modelId: env.teacherId,
				rubric: DEFAULT_RUBRIC,
				withReference: false,
				temperature: 0
			},
			env.admin.id
		);
		if (!made.ok) throw new Error(made.message);
		const run = await startPairwiseRun(
			db,
			target,
			made.judgeId,
			[env.teacherId, student.id],
			env.admin.id
		);
		if (!run.ok) throw new Error(run.message);
		expect(run.items).toBe(inputs.length * 2);
		env.runner.wake();
		await jobReaches(db, run.jobId, ['done']);
		standin.set({ judgePositionBias: 0 });

		const [result] = await pairwiseResults(db, target, await evaluationAnswers(db, target));
		const n = inputs.length;
		expect(result).toMatchObject({
			judgeName: 'Pairwise',
			baseline: { id: env.teacherId, name: 'teacher-large' },
			challenger: { id: student.id, name: 'student-small' },
			inputs: n,
			waiting: 0,
			baselineWins: 3,
			challengerWins: 0,
			ties: n - 3,
			// The leaning gave the first output every undecided pair: the two orders disagree there.
			ordersAgree: 3
		});
		// A tie counts half: Wilson's interval on n − 3 half-wins of n.
		const points = (n - 3) * 0.5;
		expect(result.winRate).toEqual({ estimate: points / n, ...wilsonInterval(points, n)! });
		expect(result.winRate!.low).toBeLessThan(result.winRate!.estimate);
		expect(
			await startPairwiseRun(db, target, made.judgeId, [env.teacherId, student.id], env.admin.id)
		).toEqual({
			ok: false,
			message: `This judge has compared these two models on every input already (${n}).`
		});
		expect(
			await startPairwiseRun(db, target, made.judgeId, [env.teacherId, env.teacherId], env.admin.id)
		).toEqual({ ok: false, message: 'Choose two different models.' });
	});

	it('lays two models out so neither runs in a block nor answers one input beside the other', async () => {
		const env = await setup();
		const { db, target } = env;
		const student = await addModel(db, env.providerId, {
			name: 'student-small',
			inputPricePerMTok: 0,
			outputPricePerMTok: 0
		});
		const frozen = await freezeDataset(
			db,
			target,
			'v1',
			datasetFilterSchema.parse({}),
			env.admin.id
		);
		if (!frozen.ok) throw new Error(frozen.message);
		const started = await startEvaluation(db, target, env.admin.id, {
			modelIds: [env.teacherId, student.id],
			datasetId: frozen.datasetId,
			splits: ['train'],
			settings: EVALUATION_SETTINGS
		});
		if (!started.ok) throw new Error(started.message);
		env.runner.wake();
		const items = (await itemsOf(db, started.jobId)).sort((a, b) => a.id - b.id);
		expect(items.length).toBe(2 * frozen.counts.train);
		for (let i = 1; i < items.length; i++) {
			expect(items[i].modelId).not.toBe(items[i - 1].modelId);
			expect(items[i].inputHash).not.toBe(items[i - 1].inputHash);
		}
		const byModel = (id: number) =>
			new Set(items.filter((item) => item.modelId === id).map((item) => item.inputHash));
		expect(byModel(env.teacherId)).toEqual(byModel(student.id));
		expect(byModel(student.id).size).toBe(frozen.counts.train);
		await jobReaches(db, started.jobId, ['done']);
	});

	it('refuses a next iteration or an evaluation it cannot make, and writes nothing', async () => {
		const env = await setup();
		const { db, target } = env;
		const none = await startNextIteration(db, target, env.admin.id, {
			...nextSpec(env, 'none'),
			filter: datasetFilterSchema.parse({ tags: 'no-such-tag' })
		});
		expect(none).toEqual({
			ok: false,
			message: 'No accepted example clears this filter, so there is nothing to freeze.'
		});
		const gone = await startNextIteration(db, target, env.admin.id, {
			...nextSpec(env, 'gone'),
			fineTune: { ...nextSpec(env, 'gone').fineTune, providerId: env.providerId + 99 }
		});
		expect(gone).toEqual({ ok: false, message: 'That provider no longer exists.' });
		expect(await listIterations(db, target.id)).toEqual([]);
		expect(await db.select().from(dataset)).toEqual([]);
		const missing = await startEvaluation(db, target, env.admin.id, {
			modelIds: [env.teacherId],
			datasetId: 99,
			splits: ['test'],
			settings: EVALUATION_SETTINGS
		});
		expect(missing).toEqual({ ok: false, message: 'No such dataset in this project.' });
		const unknown = await startEvaluation(db, target, env.admin.id, {
			modelIds: [env.teacherId, 999],
			datasetId: 99,
			splits: ['test'],
			settings: EVALUATION_SETTINGS
		});
		expect(unknown).toEqual({ ok: false, message: 'No model with id 999.' });
		expect(await db.select().from(job)).toEqual([]);
	});

	it('a student trained on one’s own GPUs joins the loop when it is registered', async () => {
		const env = await setup();
		const { db, target } = env;
		const first = await startNextIteration(db, target, env.admin.id, nextSpec(env, 'one'));
		if (!first.ok) throw new Error(first.message);
		await evaluationOf(db, first.iterationId);
		// The bundle of the first dataset, trained elsewhere and served by an OpenAI-compatible server.
		const served = {
			baseUrl: standin.url,
			apiKey: '',
			modelName: 'student-small',
			baseModel: 'meta-llama/Llama-3.1-8B-Instruct'
		};
		const joined = await registerServedIteration(
			db,
			TEST_SECRET,
			target,
			first.datasetId,
			served,
			env.admin.id
		);
		if (!joined.ok) throw new Error(joined.message);
		// As the route does: the new evaluation run wakes the runner.
		env.runner.wake();
		expect(joined.number).toBe(2);
		await jobReaches(db, joined.jobId, ['done']);
		const [latest] = await listIterations(db, target.id);
		expect(latest.iteration.id).toBe(joined.iterationId);
		expect(latest.fineTune).toMatchObject({ status: 'succeeded', baseModel: served.baseModel });
		expect(latest.student?.name).toBe('student-small');
		expect(latest.evaluation?.status).toBe('done');
		// Evaluated as the last iteration's student was: its test and train inputs.
		const inputs = await datasetInputs(db, first.datasetId, ['test', 'train']);
		expect((await itemsOf(db, joined.jobId)).map((i) => i.input).sort()).toEqual(
			[...inputs].sort()
		);
		await reviewAll(db, target, env.rater.id, () => ({}));
		const figures = await iterationFigures(db, target, await evaluationAnswers(db, target));
		expect(figures.models.map((m) => m.name)).toContain('student-small');
	});

	it('refuses to register an own-GPU student it could not evaluate, and writes nothing', async () => {
		const env = await setup();
		const { db } = env;
		const target = await makeProject(db, env.admin.id, {
			splitTrain: 90,
			splitVal: 10,
			splitTest: 0
		});
		await addMember(db, target.id, env.rater.id);
		await importRows(db, target, [{ input: 'only question', output: 'only answer' }]);
		await reviewAll(db, target, env.rater.id, () => ({}));
		const frozen = await freezeDataset(
			db,
			target,
			'train only',
			datasetFilterSchema.parse({}),
			env.admin.id
		);
		if (!frozen.ok) throw new Error(frozen.message);
		const refused = await registerServedIteration(
			db,
			TEST_SECRET,
			target,
			frozen.datasetId,
			{ baseUrl: standin.url, apiKey: '', modelName: 'student-small', baseModel: 'base' },
			env.admin.id
		);
		expect(refused).toEqual({
			ok: false,
			message:
				'“train only” has no inputs in its test split to evaluate the model on. Untick “Evaluate it” to register the model alone.'
		});
		expect(await db.select().from(fineTune)).toEqual([]);
		expect(await db.select().from(job)).toEqual([]);
		expect(await listIterations(db, target.id)).toEqual([]);
		// Only the stand-in of the set-up: no provider or model was registered.
		expect((await db.select().from(model)).map((m) => m.id)).toEqual([env.teacherId]);
		expect((await db.select().from(provider)).map((p) => p.id)).toEqual([env.providerId]);
	});
});
