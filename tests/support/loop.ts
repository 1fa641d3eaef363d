import { eq } from 'drizzle-orm';
import type { Db } from '$lib/server/db';
import { example, fineTune, iteration, revision, type Project } from '$lib/server/db/schema';
import { FineTuneFollower } from '$lib/server/finetune/follower';
import {
	startEvaluation,
	type EvaluationSettings,
	type NextIterationSpec
} from '$lib/server/iterations';
import { freezeDataset } from '$lib/server/datasets';
import { JobRunner } from '$lib/server/jobs/runner';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from './fixtures';
import { jobReaches, standinProvider, TEST_SECRET } from './jobs';
import type { Standin } from './standin';

// The re-tune loop's pieces, for the tests that run whole iterations: a project with a
// reviewed queue and a stand-in teacher, an annotator working the queue, the next iteration's
// settings, and waiting for an iteration's evaluation run.

export const EVALUATION_SETTINGS: EvaluationSettings = {
	temperature: 0,
	maxTokens: null,
	fewShot: 0,
	invalidOutputs: 'repair',
	concurrency: 4,
	timeoutSeconds: 5
};

/** A project with 40 reviewed examples, a stand-in teacher, and a runner and follower running. */
export async function loopSetup(db: Db, standin: Standin, running: { stop(): Promise<void> }[]) {
	const admin = await makeUser(db, 'admin');
	const rater = await makeUser(db, 'annotator', 'rater');
	const checker = await makeUser(db, 'annotator', 'checker');
	const target = await makeProject(db, admin.id, {
		splitTrain: 60,
		splitVal: 10,
		splitTest: 30,
		requirements: [{ name: 'Short', description: 'one sentence at most' }]
	});
	await addMember(db, target.id, rater.id);
	await addMember(db, target.id, checker.id);
	await importRows(
		db,
		target,
		Array.from({ length: 40 }, (_, i) => ({ input: `question ${i}`, output: `answer ${i}` }))
	);
	await reviewAll(db, target, rater.id, () => ({}));
	const { providerId, modelId: teacherId } = await standinProvider(db, standin.url);
	const runner = new JobRunner(db, { key: TEST_SECRET, baseBackoffMs: 20, pollMs: 30 });
	const follower = new FineTuneFollower(db, {
		key: TEST_SECRET,
		pollMs: 30,
		wakeJobs: () => runner.wake()
	});
	await runner.start();
	follower.start();
	running.push(runner, follower);
	return { db, admin, rater, checker, target, providerId, teacherId, runner };
}

type Judgment = Partial<Parameters<typeof reviewSubmission>[1]>;

/** The annotator works the whole queue, judging each example as `judge` says. */
export async function reviewAll(
	db: Db,
	target: Project,
	raterId: string,
	judge: (found: { split: string; source: string; output: string | null }) => Judgment
) {
	let reviewed = 0;
	for (let claimed = await claimNext(db, target.id, raterId, T0, [], undefined, 1); claimed;) {
		const found = (
			await db
				.select({ split: example.split, source: example.source, output: revision.output })
				.from(example)
				.innerJoin(revision, eq(revision.id, example.currentRevisionId))
				.where(eq(example.id, claimed.exampleId))
				.limit(1)
		)[0]!;
		const result = await submitReview(
			db,
			target.id,
			raterId,
			reviewSubmission(claimed, judge(found)),
			T0
		);
		if (!result.ok) throw new Error(result.message);
		reviewed += 1;
		claimed = await claimNext(db, target.id, raterId, T0, [], undefined, 1);
	}
	return reviewed;
}

export function nextSpec(
	env: Awaited<ReturnType<typeof loopSetup>>,
	name: string
): NextIterationSpec {
	return {
		name,
		filter: datasetFilterSchema.parse({}),
		fineTune: {
			adapter: 'openai',
			providerId: env.providerId,
			baseModel: 'base-small',
			suffix: name,
			hyperparameters: { epochs: 1, batchSize: null, learningRateMultiplier: null }
		},
		// The student also answers its training inputs, so its failures there can be repaired.
		evaluation: { splits: ['test', 'train'], settings: EVALUATION_SETTINGS }
	};
}

export async function evaluationOf(db: Db, iterationId: number) {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const found = (
			await db.select().from(iteration).where(eq(iteration.id, iterationId)).limit(1)
		)[0]!;
		if (found.evaluationJobId !== null) {
			await jobReaches(db, found.evaluationJobId, ['done', 'failed']);
			return found.evaluationJobId;
		}
		const tune = (
			await db.select().from(fineTune).where(eq(fineTune.id, found.fineTuneId!)).limit(1)
		)[0]!;
		if (tune.status === 'failed') throw new Error(`fine-tune failed: ${tune.error}`);
		if (Date.now() > deadline) throw new Error(`iteration ${iterationId} never evaluated`);

		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Student outputs: train-split ones below the threshold are repaired; test ones rated. */
export const studentJudge =
	(rating: number) =>
	(found: { split: string; source: string; output: string | null }): Judgment => {
		if (found.source !== 'evaluation') return {};
		if (found.split === 'train') {
			return { rating: 2, decision: 'repair', output: `${found.output} (repaired)` };
		}
		return { rating, decision: rating >= 4 ? 'accept' : 'reject' };
	};

/** Freezes the project's accepted examples and evaluates the models on the test inputs, to the end. */
export async function evaluateOnTests(
	env: Awaited<ReturnType<typeof loopSetup>>,
	modelIds: number[]
): Promise<number> {
	const frozen = await freezeDataset(
		env.db,
		env.target,
		'v1',
		datasetFilterSchema.parse({}),
		env.admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	const started = await startEvaluation(env.db, env.target, env.admin.id, {
		modelIds,
		datasetId: frozen.datasetId,
		splits: ['test'],
		settings: EVALUATION_SETTINGS
	});
	if (!started.ok) throw new Error(started.message);
	env.runner.wake();
	await jobReaches(env.db, started.jobId, ['done']);
	return started.jobId;
}
