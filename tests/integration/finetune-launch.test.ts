import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { fineTune } from '$lib/server/db/schema';
import { freezeDataset } from '$lib/server/datasets';
import { adapterFor, startFineTune } from '$lib/server/finetune';
import { FineTuneFollower } from '$lib/server/finetune/follower';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { acceptEverything } from '../support/e2e';
import { importRows, makeProject, makeUser } from '../support/fixtures';
import { standinProvider, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin } from '../support/standin';
import { testDb } from '../support/database';

// A fine-tune's launch (upload the files, create the provider's job) is paid for: several
// workers on one database must launch each fine-tune exactly once, and a launch cut short
// between the provider's create and the saved id must find that job again.

let standin: Standin;
beforeAll(async () => {
	standin = await startStandin({ fineTuneSeconds: 60 });
});
afterAll(async () => {
	await standin.close();
});

async function pendingFineTune(db: Db, adapter: 'openai' | 'together') {
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, { reviewsRequired: 1 });
	await importRows(
		db,
		target,
		Array.from({ length: 20 }, (_, i) => ({ input: `launch question ${i}`, output: `answer ${i}` }))
	);
	await acceptEverything(db, target.id, admin.id, 'launch');
	const frozen = await freezeDataset(db, target, 'v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const { providerId } = await standinProvider(db, standin.url);
	const started = await startFineTune(
		db,
		target,
		frozen.datasetId,
		{
			adapter,
			providerId,
			baseModel: 'base-small',
			suffix: null,
			hyperparameters: { epochs: 1, batchSize: null, learningRateMultiplier: null }
		},
		admin.id
	);
	if (!started.ok) throw new Error(started.message);
	return started.fineTuneId;
}

const rowOf = async (db: Db, id: number) =>
	(await db.select().from(fineTune).where(eq(fineTune.id, id)).limit(1))[0]!;

async function launched(db: Db, id: number) {
	for (let i = 0; i < 200; i++) {
		const row = await rowOf(db, id);
		if (row.externalJobId) return row;
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
	throw new Error('the fine-tune was never launched');
}

describe('launching a fine-tune once', () => {
	it('two workers following one database launch it exactly once', async () => {
		const db = await testDb();
		const id = await pendingFineTune(db, 'openai');
		const jobsBefore = standin.stats.fineTuneJobs;
		const trainingUploads = () =>
			standin.uploads.filter((u) => u.filename.endsWith('-train.jsonl')).length;
		const uploadsBefore = trainingUploads();
		const followers = [1, 2].map(
			(n) => new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 20, workerId: `worker-${n}` })
		);
		for (const f of followers) f.start();
		try {
			const row = await launched(db, id);
			// A few more rounds of both, to be sure neither launches it again.
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(standin.stats.fineTuneJobs - jobsBefore).toBe(1);
			expect(trainingUploads() - uploadsBefore).toBe(1);
			const after = await rowOf(db, id);
			expect(after.externalJobId).toBe(row.externalJobId);
			// The launch lease is given back once the launch is recorded.
			expect(after.launchOwner).toBeNull();
		} finally {
			await Promise.all(followers.map((f) => f.stop()));
		}
	});

	it('a slow upload that outlasts the launch lease stays its worker’s: one upload, one job', async () => {
		const db = await testDb();
		const id = await pendingFineTune(db, 'openai');
		const jobsBefore = standin.stats.fineTuneJobs;
		const uploadsBefore = standin.uploads.length;
		// Each upload takes five leases; a lease not renewed would pass to the other worker.
		standin.set({ uploadDelayMs: 1000 });
		const followers = [1, 2].map(
			(n) =>
				new FineTuneFollower(db, {
					key: TEST_SECRET,
					pollMs: 20,
					workerId: `slow-${n}`,
					launchLeaseMs: 200
				})
		);
		for (const f of followers) f.start();
		try {
			await launched(db, id);
			await new Promise((resolve) => setTimeout(resolve, 300));
			expect(standin.stats.fineTuneJobs - jobsBefore).toBe(1);
			// The training file and the validation file, each once.
			const sent = standin.uploads.slice(uploadsBefore).map((u) => u.filename);
			expect(sent.filter((name) => name.endsWith('-train.jsonl'))).toHaveLength(1);
			expect(new Set(sent).size).toBe(sent.length);
		} finally {
			standin.set({ uploadDelayMs: 0 });
			await Promise.all(followers.map((f) => f.stop()));
		}
	});

	for (const adapter of ['openai', 'together'] as const) {
		it(`a launch cut short after ${adapter}'s create finds that job again instead of making a second`, async () => {
			const db = await testDb();
			const id = await pendingFineTune(db, adapter);
			// What a worker killed right after the provider's create leaves: the file uploaded and
			// its id saved, the attempt marked, the job made at the provider, and no job id here.
			const provider = (await adapterFor(db, TEST_SECRET, await rowOf(db, id)))!;
			const trainingFileId = await provider.upload('train.jsonl', [
				JSON.stringify({
					messages: [
						{ role: 'user', content: 'q' },
						{ role: 'assistant', content: 'a' }
					]
				})
			]);
			const made = await provider.create({
				method: 'supervised',
				baseModel: 'base-small',
				trainingFileId,
				validationFileId: null,
				suffix: null,
				hyperparameters: { epochs: 1, batchSize: null, learningRateMultiplier: null }
			});
			await db.transaction(async (tx) =>
				tx
					.update(fineTune)
					.set({
						trainingFileId,
						status: 'uploading',
						launchAttemptedAt: new Date(),
						launchOwner: 'a worker that died',
						launchExpiresAt: new Date(Date.now() - 1000)
					})
					.where(eq(fineTune.id, id))
			);
			const jobsBefore = standin.stats.fineTuneJobs;
			const follower = new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 20 });
			follower.start();
			try {
				const row = await launched(db, id);
				expect(row.externalJobId).toBe(made);
				expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
			} finally {
				await follower.stop();
			}
		});
	}

	it('a launch another worker holds is left to it until its lease expires', async () => {
		const db = await testDb();
		const id = await pendingFineTune(db, 'openai');
		await db.transaction(async (tx) =>
			tx
				.update(fineTune)
				.set({ launchOwner: 'a live worker', launchExpiresAt: new Date(Date.now() + 60_000) })
				.where(eq(fineTune.id, id))
		);
		const jobsBefore = standin.stats.fineTuneJobs;
		const follower = new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 20 });
		follower.start();
		await new Promise((resolve) => setTimeout(resolve, 300));
		await follower.stop();
		const row = await rowOf(db, id);
		expect(row.externalJobId).toBeNull();
		expect(row.launchOwner).toBe('a live worker');
		expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
	});
});
