import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { fineTune, model, type FineTune } from '$lib/server/db/schema';
import { freezeDataset } from '$lib/server/datasets';
import { cancelFineTune, fineTuneEvents, startFineTune } from '$lib/server/finetune';
import { FineTuneFollower } from '$lib/server/finetune/follower';
import { addMember } from '$lib/server/projects';
import { modelChoices } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { standinProvider, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin, type StandinOptions } from '../support/standin';
import { testDb } from '../support/database';

let standin: Standin;
const followers: FineTuneFollower[] = [];
beforeAll(async () => {
	standin = await startStandin();
});
afterAll(async () => {
	await standin.close();
});
afterEach(async () => {
	for (const f of followers.splice(0)) await f.stop();
	standin.set({ fineTuneSeconds: 0.8, refuseFiles: false, uploadOutages: 0 });
});

const HYPERPARAMETERS = { epochs: 2, batchSize: 4, learningRateMultiplier: 1.5 };

async function setup(options: Partial<StandinOptions> = {}) {
	standin.set({ fineTuneSeconds: 0.8, ...options });
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const rater = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, { reviewsRequired: 1 });
	await addMember(db, target.id, rater.id);
	await importRows(
		db,
		target,
		Array.from({ length: 12 }, (_, i) => ({ input: `question ${i}`, output: `answer ${i}` }))
	);
	for (let claimed = await claimNext(db, target.id, rater.id, T0); claimed;) {
		await submitReview(db, target.id, rater.id, reviewSubmission(claimed), T0);
		claimed = await claimNext(db, target.id, rater.id, T0);
	}
	const frozen = await freezeDataset(db, target, 'v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const { providerId } = await standinProvider(db, standin.url);
	return { db, admin, target, datasetId: frozen.datasetId, providerId };
}

/** Starts a fine-tune of the set-up dataset with the given adapter and base model. */
async function launch(
	env: Awaited<ReturnType<typeof setup>>,
	adapter: 'openai' | 'together',
	baseModel: string,
	suffix: string | null
) {
	const started = await startFineTune(
		env.db,
		env.target,
		env.datasetId,
		{ adapter, providerId: env.providerId, baseModel, suffix, hyperparameters: HYPERPARAMETERS },
		env.admin.id
	);
	if (!started.ok) throw new Error(started.message);
	return started;
}

function follower(db: Db) {
	const f = new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 40 });
	followers.push(f);
	f.start();
	return f;
}

const row = async (db: Db, id: number) =>
	(await db.select().from(fineTune).where(eq(fineTune.id, id)).limit(1))[0]!;

/** Polls the fine-tune, noting each status it passes through, until it ends. */
async function follow(
	db: Db,
	id: number,
	until: FineTune['status'][] = ['succeeded', 'failed', 'cancelled']
) {
	const seen: string[] = [];
	const deadline = Date.now() + 15_000;
	for (;;) {
		const status = (await row(db, id)).status;
		if (seen.at(-1) !== status) seen.push(status);
		if (until.includes(status)) return seen;
		if (Date.now() > deadline) throw new Error(`fine-tune ${id} stuck at ${status}: ${seen}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

const ADAPTERS = [
	{
		adapter: 'openai',
		files: /^file-standin-/,
		jobs: /^ftjob-standin-/,
		refused: 'The provider refused the request (400): Invalid file format for fine-tuning.'
	},
	{
		adapter: 'together',
		files: /^file-together-/,
		jobs: /^ft-together-/,
		refused: 'The provider refused the request (400): Invalid file format.'
	}
] as const;

describe.each(ADAPTERS)(
	'the $adapter fine-tuning adapter against the stand-in',
	({ adapter, files, jobs, refused }) => {
		it('validating → queued → running → succeeded, and the model joins its provider', async () => {
			const env = await setup();
			const { db } = env;
			const started = await launch(env, adapter, 'base-small', 'support');
			follower(db);
			const seen = await follow(db, started.fineTuneId);
			expect(
				seen.filter((s) => ['validating', 'queued', 'running', 'succeeded'].includes(s))
			).toEqual(['validating', 'queued', 'running', 'succeeded']);
			const done = await row(db, started.fineTuneId);
			expect(done.trainingFileId).toMatch(files);
			expect(done.externalJobId).toMatch(jobs);
			const made = (
				await db.select().from(model).where(eq(model.id, done.resultModelId!)).limit(1)
			)[0]!;
			expect(made).toMatchObject({ providerId: env.providerId, fineTuneId: started.fineTuneId });
			expect(made.name).toContain(done.externalJobId!);
			expect((await modelChoices(db)).map((m) => m.label)).toContain(`${made.name} (Stand-in)`);
			const events = (await fineTuneEvents(db, started.fineTuneId)).map((e) => e.message);
			expect(events).toEqual([
				'Validating training file',
				'Fine-tuning job queued',
				'Fine-tuning job started',
				'The job has successfully completed'
			]);
		});

		it('a failed job keeps the provider’s reason and registers no model', async () => {
			const env = await setup();
			const { db } = env;
			const started = await launch(env, adapter, 'base-fail', null);
			follower(db);
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('failed');
			expect(await row(db, started.fineTuneId)).toMatchObject({
				error: 'Training failed: the loss diverged.',
				resultModelId: null
			});
		});

		it('a cancelled job is cancelled at the provider too', async () => {
			const env = await setup({ fineTuneSeconds: 4 });
			const { db } = env;
			const started = await launch(env, adapter, 'base-small', null);
			follower(db);
			await follow(db, started.fineTuneId, ['validating', 'queued', 'running']);
			expect(await cancelFineTune(db, TEST_SECRET, env.target.id, started.fineTuneId)).toEqual({
				ok: true
			});
			expect((await row(db, started.fineTuneId)).status).toBe('cancelled');
			expect(
				await cancelFineTune(db, TEST_SECRET, env.target.id, started.fineTuneId)
			).toMatchObject({
				ok: false
			});
		});

		it('a provider that refuses the file fails the fine-tune with its reason, and starts no job', async () => {
			const env = await setup({ refuseFiles: true });
			const { db } = env;
			const jobsBefore = standin.stats.fineTuneJobs;
			const started = await launch(env, adapter, 'base-small', null);
			follower(db);
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('failed');
			expect((await row(db, started.fineTuneId)).error).toBe(refused);
			expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
		});

		it('an upload that meets an outage is tried again, and the fine-tune goes on', async () => {
			const env = await setup({ uploadOutages: 2 });
			const { db } = env;
			const uploadsBefore = standin.uploads.length;
			const started = await launch(env, adapter, 'base-small', null);
			follower(db);
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('succeeded');
			expect(standin.options.uploadOutages).toBe(0);
			// Each file went up once, after the outage: the training file and the validation file.
			expect(standin.uploads.slice(uploadsBefore).map((u) => u.filename)).toEqual([
				`dataset-${env.datasetId}-train.jsonl`,
				`dataset-${env.datasetId}-val.jsonl`
			]);
		});

		it('a restart in the middle carries on with the same job', async () => {
			const env = await setup({ fineTuneSeconds: 1.2 });
			const { db } = env;
			const started = await launch(env, adapter, 'base-small', null);
			const jobsBefore = standin.stats.fineTuneJobs;
			const first = follower(db);
			await follow(db, started.fineTuneId, ['queued', 'running']);
			await first.stop();
			const second = new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 40 });
			followers.push(second);
			second.start();
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('succeeded');
			expect(standin.stats.fineTuneJobs).toBe(jobsBefore + 1);
			expect(
				await db.select().from(model).where(eq(model.fineTuneId, started.fineTuneId))
			).toHaveLength(1);
		});

		it('refuses a dataset without training examples, and writes no record', async () => {
			const { db, target, datasetId, providerId, admin } = await setup();
			expect(
				await startFineTune(
					db,
					target,
					datasetId + 1,
					{ adapter, providerId, baseModel: 'b', suffix: null, hyperparameters: HYPERPARAMETERS },
					admin.id
				)
			).toEqual({ ok: false, message: 'No such dataset in this project.' });
			expect(await db.select().from(fineTune)).toEqual([]);
		});
	}
);
