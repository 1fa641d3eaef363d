import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { fineTune, model, type FineTune } from '$lib/server/db/schema';
import { freezeDataset } from '$lib/server/datasets';
import {
	cancelFineTune,
	fineTuneEvents,
	refusalOf,
	registerServedResult,
	startFineTune,
	type FineTuneSpec
} from '$lib/server/finetune';
import { FineTuneFollower } from '$lib/server/finetune/follower';
import { openAiAdapter } from '$lib/server/finetune/adapter';
import {
	dayOf,
	listRetirements,
	removeRetirement,
	retirementOf,
	retirementWarning,
	saveRetirement
} from '$lib/server/finetune/retirement';
import OpenAI from 'openai';
import { addMember } from '$lib/server/projects';
import { clientFor, createProvider, getProvider, modelChoices } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema, type FINE_TUNE_SERVICES } from '$lib/schemas/dataset';
import type { FireworksOptions } from '$lib/server/finetune/fireworks';
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
	standin.set({ fineTuneSeconds: 0.8, refuseFiles: false, uploadOutages: 0, apiKey: null });
});

const HYPERPARAMETERS = { epochs: 2, batchSize: 4, learningRateMultiplier: 1.5 };

type Service = (typeof FINE_TUNE_SERVICES)[number];

/**
 * A frozen dataset of 20 accepted examples (or as many as asked, with the answers given) and a
 * provider on the stand-in. With `repaired`,
 * that many examples are first repaired by one annotator and the repairs accepted by another:
 * each is a preference pair. With `allTrain`, every example is in the train split.
 */
async function setup(
	options: Partial<StandinOptions> = {},
	service: Service = 'openai',
	{
		repaired = 0,
		allTrain = false,
		examples = 20,
		answer = (i: number) => `answer ${i}`
	}: {
		repaired?: number;
		allTrain?: boolean;
		examples?: number;
		answer?: (i: number) => string;
	} = {}
) {
	standin.set({ fineTuneSeconds: 0.8, ...options });
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const rater = await makeUser(db, 'annotator');
	const checker = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, {
		reviewsRequired: 1,
		...(allTrain ? { splitTrain: 100, splitVal: 0, splitTest: 0 } : {})
	});
	await addMember(db, target.id, rater.id);
	await addMember(db, target.id, checker.id);
	await importRows(
		db,
		target,
		Array.from({ length: examples }, (_, i) => ({ input: `question ${i}`, output: answer(i) }))
	);
	let repairs = 0;
	for (let claimed = await claimNext(db, target.id, rater.id, T0); claimed;) {
		const repair = repairs++ < repaired;
		const overrides = repair
			? { rating: 2, decision: 'repair' as const, output: `a better answer ${claimed.exampleId}` }
			: {};
		const result = await submitReview(
			db,
			target.id,
			rater.id,
			reviewSubmission(claimed, overrides),
			T0
		);
		if (!result.ok) throw new Error(result.message);
		claimed = await claimNext(db, target.id, rater.id, T0);
	}
	// The repairs are someone else's to accept.
	for (let claimed = await claimNext(db, target.id, checker.id, T0); claimed;) {
		await submitReview(db, target.id, checker.id, reviewSubmission(claimed), T0);
		claimed = await claimNext(db, target.id, checker.id, T0);
	}
	const frozen = await freezeDataset(db, target, 'v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const { providerId } =
		service === 'fireworks'
			? await fireworksProvider(db, 'standin-account')
			: await standinProvider(db, standin.url);
	return { db, admin, target, datasetId: frozen.datasetId, providerId };
}

/** A Fireworks provider on the stand-in: chat under /inference/v1, fine-tuning in an account. */
async function fireworksProvider(db: Db, accountId: string) {
	const created = await createProvider(db, TEST_SECRET, {
		name: 'Stand-in',
		baseUrl: standin.url.replace(/\/v1$/, '/inference/v1'),
		apiKey: '',
		accountId,
		requestsPerMinute: null,
		tokensPerMinute: null
	});
	return { providerId: created.id };
}

/** Asks for a fine-tune of the set-up dataset: a supervised one on OpenAI unless changed. */
function ask(env: Awaited<ReturnType<typeof setup>>, changes: Partial<FineTuneSpec>, now?: Date) {
	return startFineTune(
		env.db,
		env.target,
		env.datasetId,
		{
			adapter: 'openai',
			providerId: env.providerId,
			baseModel: 'base-small',
			suffix: null,
			hyperparameters: HYPERPARAMETERS,
			...changes
		},
		env.admin.id,
		now
	);
}

/** Starts a fine-tune of the set-up dataset with the given adapter and base model. */
async function launch(
	env: Awaited<ReturnType<typeof setup>>,
	adapter: Service,
	baseModel: string,
	suffix: string | null
) {
	const started = await ask(env, { adapter, baseModel, suffix });
	if (!started.ok) throw new Error(started.message);
	return started;
}

function follower(db: Db, fireworks: FireworksOptions = { readyPollMs: 10 }) {
	const f = new FineTuneFollower(db, { key: TEST_SECRET, pollMs: 40, fireworks });
	followers.push(f);
	f.start();
	return f;
}

/**
 * The models a fine-tune made. A Hugging Face Job's adapter is served by the team: here it is
 * registered first, by the stand-in's URL, as the fine-tune's page registers it.
 */
async function studentsOf(env: Awaited<ReturnType<typeof setup>>, fineTuneId: number) {
	const done = await row(env.db, fineTuneId);
	if (done.adapter === 'hf_jobs' && done.resultModelId === null) {
		expect(done.pushedTo).toMatch(/^standin-user\/winnow-/);
		expect(await env.db.select().from(model).where(eq(model.fineTuneId, fineTuneId))).toEqual([]);
		const registered = await registerServedResult(env.db, TEST_SECRET, env.target, fineTuneId, {
			baseUrl: standin.url,
			apiKey: '',
			modelName: done.pushedTo!
		});
		if (!registered.ok) throw new Error(registered.message);
	}
	return await env.db.select().from(model).where(eq(model.fineTuneId, fineTuneId));
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

const OPENAI_EVENTS = [
	'Validating training file',
	'Fine-tuning job queued',
	'Fine-tuning job started',
	'The job has successfully completed'
];

const ADAPTERS = [
	{
		adapter: 'openai',
		files: /^file-standin-/,
		jobs: /^ftjob-standin-/,
		model: (jobId: string) => new RegExp(`:${jobId}$`),
		events: OPENAI_EVENTS,
		refused: 'The provider refused the request (400): Invalid file format for fine-tuning.',
		unknownModel:
			'The provider refused the request (400): Model unknown-base is not available for fine-tuning or does not exist.'
	},
	{
		adapter: 'together',
		files: /^file-together-/,
		jobs: /^ft-together-/,
		model: (jobId: string) => new RegExp(`-${jobId}$`),
		events: OPENAI_EVENTS,
		refused: 'The provider refused the request (400): Invalid file format.',
		unknownModel:
			'The provider refused the request (400): The model unknown-base is not available for fine-tuning.'
	},
	{
		adapter: 'hf_jobs',
		files: /^standin-user\/winnow-dataset-\d+::dataset-\d+-train\.jsonl$/,
		jobs: /^standin-user\/[0-9a-f]{24}$/,
		model: () => /^standin-user\/winnow-(support|student)-[0-9a-f]{6}$/,
		events: [
			'Hugging Face Jobs: SCHEDULING',
			'Hugging Face Jobs: RUNNING',
			'Hugging Face Jobs: COMPLETED',
			'Pushed the adapter to https://huggingface.co/standin-user/winnow-*: serve it, then register its URL here',
			'standin-user/winnow-* served at http://stand-in/v1 as standin-user/winnow-*'
		],
		refused: 'The provider refused the request (400): Invalid file format.',
		unknownModel:
			'Repository Not Found for url: https://huggingface.co/unknown-base/resolve/main/config.json.'
	},
	{
		adapter: 'fireworks',
		files: /^accounts\/standin-account\/datasets\/winnow-dataset-\d+-train-[0-9a-f]{8}$/,
		jobs: /^accounts\/standin-account\/supervisedFineTuningJobs\/sft-\d+$/,
		model: (jobId: string) =>
			new RegExp(`^${jobId.replace('supervisedFineTuningJobs', 'models')}$`),
		events: [
			'Fireworks is preparing the job (JOB_STATE_CREATING)',
			'The job is queued at Fireworks (JOB_STATE_PENDING)',
			'Training (JOB_STATE_RUNNING)',
			'Training completed (JOB_STATE_COMPLETED)',
			'Deploying accounts/standin-account/models/* (scales to zero when idle)'
		],
		refused: 'The provider refused the request (400): Invalid file format.',
		unknownModel:
			/^The provider does not know this model, or http:\/\/127\.0\.0\.1:\d+\/inference\/v1 is not an OpenAI-compatible API \(404\): model "accounts\/fireworks\/models\/unknown-base" not found or not tunable$/
	}
] as const;

describe.each(ADAPTERS)(
	'the $adapter fine-tuning adapter against the stand-in',
	({ adapter, files, jobs, model: modelName, events: expectedEvents, refused, unknownModel }) => {
		it('validating → queued → running → succeeded, and the model joins its provider', async () => {
			const env = await setup({}, adapter);
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
			const [made] = await studentsOf(env, started.fineTuneId);
			expect(made.fineTuneId).toBe(started.fineTuneId);
			expect(made.name).toMatch(modelName(done.externalJobId!));
			const servedBy =
				adapter === 'hf_jobs' ? `Own GPUs (${new URL(standin.url).host})` : 'Stand-in';
			if (adapter !== 'hf_jobs') expect(made.providerId).toBe(env.providerId);
			expect((await modelChoices(db)).map((m) => m.label)).toContain(`${made.name} (${servedBy})`);
			const events = (await fineTuneEvents(db, started.fineTuneId))
				.map((e) => e.message)
				// Fireworks' progress, as it was seen, depends on when the follower asked.
				.filter((message) => !/^Training \d+% done$/.test(message))
				.map((message) =>
					message
						.replace(/models\/sft-\d+/, 'models/*')
						.replaceAll(/winnow-\w+-[0-9a-f]{6}/g, 'winnow-*')
						.replace(/127\.0\.0\.1:\d+/, 'stand-in')
				);
			expect(events).toEqual(expectedEvents);
		});

		it('a failed job keeps the provider’s reason and registers no model', async () => {
			const env = await setup({}, adapter);
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
			const env = await setup({ fineTuneSeconds: 4 }, adapter);
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

		it('a wrong key is told plainly on the fine-tune’s page, and no job is started', async () => {
			const env = await setup({ apiKey: 'the-right-key' }, adapter);
			const jobsBefore = standin.stats.fineTuneJobs;
			const started = await launch(env, adapter, 'base-small', null);
			follower(env.db);
			expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('failed');
			expect((await row(env.db, started.fineTuneId)).error).toBe(
				adapter === 'fireworks'
					? 'The provider refused the API key (401): Fireworks refused access to account “standin-account”: check the account id and the API key (Incorrect API key provided.).'
					: 'The provider refused the API key (401): Incorrect API key provided.'
			);
			expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
		});

		it('an unknown base model is told plainly on the fine-tune’s page, and nothing is trained', async () => {
			const env = await setup({}, adapter);
			const modelsBefore = (await modelChoices(env.db)).length;
			const started = await launch(env, adapter, 'unknown-base', null);
			follower(env.db);
			expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('failed');
			expect((await row(env.db, started.fineTuneId)).error).toMatch(unknownModel);
			expect((await modelChoices(env.db)).length).toBe(modelsBefore);
		});

		it('a provider that refuses the file fails the fine-tune with its reason, and starts no job', async () => {
			const env = await setup({ refuseFiles: true }, adapter);
			const { db } = env;
			const jobsBefore = standin.stats.fineTuneJobs;
			const started = await launch(env, adapter, 'base-small', null);
			follower(db);
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('failed');
			expect((await row(db, started.fineTuneId)).error).toBe(refused);
			expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
		});

		it('an upload that meets an outage is tried again, and the fine-tune goes on', async () => {
			const env = await setup({ uploadOutages: 2 }, adapter);
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
			const env = await setup({ fineTuneSeconds: 1.2 }, adapter);
			const { db } = env;
			const started = await launch(env, adapter, 'base-small', null);
			const jobsBefore = standin.stats.fineTuneJobs;
			const first = follower(db);
			await follow(db, started.fineTuneId, ['queued', 'running']);
			await first.stop();
			const second = new FineTuneFollower(db, {
				key: TEST_SECRET,
				pollMs: 40,
				fireworks: { readyPollMs: 10 }
			});
			followers.push(second);
			second.start();
			expect((await follow(db, started.fineTuneId)).at(-1)).toBe('succeeded');
			expect(standin.stats.fineTuneJobs).toBe(jobsBefore + 1);
			expect(await studentsOf(env, started.fineTuneId)).toHaveLength(1);
		});

		it('refuses a dataset without training examples, and writes no record', async () => {
			const { db, target, datasetId, providerId, admin } = await setup({}, adapter);
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

describe('the fireworks adapter', () => {
	it('sends a file past the direct-upload limit through a signed URL, and trains on the same lines', async () => {
		const direct = await setup({}, 'fireworks');
		const uploadsBefore = standin.uploads.length;
		const first = await launch(direct, 'fireworks', 'base-small', null);
		follower(direct.db);
		expect((await follow(direct.db, first.fineTuneId)).at(-1)).toBe('succeeded');
		const sentDirectly = standin.uploads.slice(uploadsBefore).map((u) => u.content);

		const large = await setup({}, 'fireworks');
		const signedBefore = standin.fireworks.signedUploads;
		const second = await launch(large, 'fireworks', 'base-small', null);
		// Every file is "large" here: the signed-URL path is the one taken.
		follower(large.db, { directUploadLimitBytes: 10, readyPollMs: 10 });
		expect((await follow(large.db, second.fineTuneId)).at(-1)).toBe('succeeded');
		expect(standin.fireworks.signedUploads - signedBefore).toBe(2);
		const sentSigned = standin.uploads.slice(-2).map((u) => u.content);
		expect(sentSigned).toEqual(sentDirectly);
	});

	it('a wrong account id is told plainly, and no job is started', async () => {
		const env = await setup({}, 'fireworks');
		const { providerId } = await fireworksProvider(env.db, 'someone-else');
		const jobsBefore = standin.stats.fineTuneJobs;
		const started = await ask(env, { adapter: 'fireworks', providerId });
		if (!started.ok) throw new Error(started.message);
		follower(env.db);
		expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('failed');
		expect((await row(env.db, started.fineTuneId)).error).toBe(
			'The provider refused the API key (403): Fireworks refused access to account “someone-else”: check the account id and the API key.'
		);
		expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
	});

	it('an unknown base model is refused with Fireworks’ reason, and no job is started', async () => {
		const env = await setup({}, 'fireworks');
		const jobsBefore = standin.stats.fineTuneJobs;
		const started = await launch(env, 'fireworks', 'unknown-model', null);
		follower(env.db);
		expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('failed');
		expect((await row(env.db, started.fineTuneId)).error).toContain(
			'model "accounts/fireworks/models/unknown-model" not found or not tunable'
		);
		expect(standin.stats.fineTuneJobs).toBe(jobsBefore);
	});

	it('the student is deployed before it is registered, and answers through the provider', async () => {
		const env = await setup({}, 'fireworks');
		const deploymentsBefore = standin.fireworks.deployments;
		const started = await launch(env, 'fireworks', 'base-small', 'support');
		follower(env.db);
		expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('succeeded');
		expect(standin.fireworks.deployments - deploymentsBefore).toBe(1);
		const done = await row(env.db, started.fineTuneId);
		const student = (
			await env.db.select().from(model).where(eq(model.id, done.resultModelId!)).limit(1)
		)[0]!;
		const client = clientFor((await getProvider(env.db, env.providerId))!, TEST_SECRET);
		const answer = await client.chat.completions.create({
			model: student.name,
			messages: [{ role: 'user', content: 'Where is my order?' }]
		});
		expect(answer.choices[0].message.content).toBeTruthy();
	});
});

describe('retirement dates', () => {
	const AFTER = new Date('2027-02-01T00:00:00Z');
	const BEFORE_CUTOFF = new Date('2027-01-05T00:00:00Z');

	it('come with the known retirements, and cover dated snapshots and fine-tunes of a model', async () => {
		const db = await testDb();
		const rows = await listRetirements(db);
		expect(rows.map((r) => [r.model, dayOf(r.retiresOn)])).toEqual([
			['gpt-4.1', '14 January 2027'],
			['gpt-4.1-mini', '14 January 2027'],
			['gpt-4o', '14 January 2027'],
			['gpt-4o-mini', '14 January 2027']
		]);
		expect(retirementOf(rows, 'gpt-4o-mini-2024-07-18', AFTER)?.model).toBe('gpt-4o-mini');
		expect(retirementOf(rows, 'ft:gpt-4.1-2025-04-14:acme:support:abc', AFTER)?.model).toBe(
			'gpt-4.1'
		);
		expect(retirementOf(rows, 'gpt-4o-mini-tts', AFTER)).toBeNull();
		expect(retirementOf(rows, 'gpt-4.1-nano', AFTER)).toBeNull();
		// Warned about within 60 days, not before.
		expect(retirementOf(rows, 'gpt-4o', new Date('2026-11-16T00:00:00Z'))?.state).toBe('soon');
		expect(retirementOf(rows, 'gpt-4o', new Date('2026-11-14T00:00:00Z'))).toBeNull();
		expect(await retirementWarning(db, 'gpt-4o', new Date('2026-12-04T00:00:00Z'))).toBe(
			'gpt-4o retires on 14 January 2027 (OpenAI deprecations page, notice of 2026-10-14); a model trained on it stops answering then.'
		);
	});

	it('a base model past its date is refused beside the field, and nothing is written', async () => {
		const env = await setup();
		const refused = await ask(
			env,
			{
				adapter: 'together',
				providerId: env.providerId,
				baseModel: 'gpt-4o-mini-2024-07-18',
				suffix: null,
				hyperparameters: HYPERPARAMETERS
			},
			AFTER
		);
		expect(refused).toEqual({
			ok: false,
			field: 'baseModel',
			message:
				'gpt-4o-mini-2024-07-18 was retired on 14 January 2027 (OpenAI deprecations page, notice of 2026-10-14). Choose another base model.'
		});
		expect(await env.db.select().from(fineTune)).toEqual([]);
	});

	it('an admin’s correction applies at once, and a fine-tune asked for before the date is not launched after it', async () => {
		const env = await setup();
		await saveRetirement(env.db, {
			model: 'base-small',
			retiresOn: new Date('2027-01-20T00:00:00Z'),
			source: 'the provider’s notice'
		});
		const started = await launch(env, 'openai', 'base-small', null);
		const uploadsBefore = standin.uploads.length;
		const late = new FineTuneFollower(env.db, { key: TEST_SECRET, pollMs: 40, now: () => AFTER });
		followers.push(late);
		late.start();
		expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('failed');
		expect((await row(env.db, started.fineTuneId)).error).toBe(
			'base-small was retired on 20 January 2027 (the provider’s notice).'
		);
		expect(standin.uploads.length).toBe(uploadsBefore);
		const [added] = (await listRetirements(env.db)).filter((r) => r.model === 'base-small');
		expect(await removeRetirement(env.db, added.id)).toBe(true);
		expect(await removeRetirement(env.db, added.id)).toBe(false);
	});

	it('OpenAI itself takes no new job after its fine-tuning ended; Azure OpenAI and earlier days still do', async () => {
		const db = await testDb();
		const CUTOFF_DAY = new Date('2027-01-06T00:00:00Z');
		expect(
			await refusalOf(db, 'openai', 'https://api.openai.com/v1', 'gpt-4.1-nano', CUTOFF_DAY)
		).toEqual({
			field: 'adapter',
			message:
				'OpenAI takes no new fine-tuning jobs since 6 January 2027 (OpenAI deprecations page, notice of 2026-10-14): fine-tune on Together or Fireworks, or on your own GPUs with the bundle.'
		});
		expect(
			await refusalOf(
				db,
				'openai',
				'https://acme.openai.azure.com/openai/v1',
				'gpt-4.1-nano',
				CUTOFF_DAY
			)
		).toBeNull();
		expect(
			await refusalOf(db, 'openai', 'https://api.openai.com/v1', 'gpt-4.1-nano', BEFORE_CUTOFF)
		).toBeNull();
		// The adapter itself refuses too, before any request: a fine-tune queued before the end and
		// launched after it fails with the reason, not with a provider error.
		const adapter = openAiAdapter(
			new OpenAI({ apiKey: 'sk-unused', baseURL: 'https://api.openai.com/v1' }),
			() => CUTOFF_DAY
		);
		await expect(
			adapter.create({
				method: 'supervised',
				baseModel: 'gpt-4.1-nano',
				trainingFileId: 'file-1',
				validationFileId: null,
				suffix: null,
				hyperparameters: HYPERPARAMETERS
			})
		).rejects.toThrow('OpenAI takes no new fine-tuning jobs since 6 January 2027');
	});

	it('a student whose base model was retired is no longer offered, and its history stays', async () => {
		const env = await setup();
		const started = await launch(env, 'openai', 'gpt-4o-mini-2024-07-18', 'support');
		follower(env.db);
		expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('succeeded');
		const student = (await row(env.db, started.fineTuneId)).resultModelId!;
		const offered = async (now: Date) => (await modelChoices(env.db, now)).map((m) => m.id);
		expect(await offered(BEFORE_CUTOFF)).toContain(student);
		expect(await offered(AFTER)).not.toContain(student);
		expect(await env.db.select().from(model).where(eq(model.id, student))).toHaveLength(1);
	});
});

describe.each(['openai', 'together', 'fireworks'] as const)(
	'preference (DPO) training on %s',
	(adapter) => {
		it('trains on the repairs, each preferred over what it repaired, and registers the student', async () => {
			const env = await setup({}, adapter, { repaired: 12, allTrain: true });
			const dpoBefore = standin.stats.dpoJobs;
			const uploadsBefore = standin.uploads.length;
			const started = await ask(env, {
				adapter,
				method: 'dpo',
				providerId: env.providerId,
				baseModel: 'base-small',
				suffix: 'prefs',
				hyperparameters: { epochs: 1, batchSize: null, learningRateMultiplier: null, beta: 0.1 }
			});
			if (!started.ok) throw new Error(started.message);
			follower(env.db);
			expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('succeeded');
			expect(standin.stats.dpoJobs).toBe(dpoBefore + 1);
			// One file, of 12 preference pairs: the repair preferred, the teacher's output not.
			const sent = standin.uploads.slice(uploadsBefore);
			expect(sent.map((u) => u.filename)).toEqual([`dataset-${env.datasetId}-train-dpo.jsonl`]);
			const pairs = sent[0].content
				.trim()
				.split('\n')
				.map((line) => JSON.parse(line));
			expect(pairs).toHaveLength(12);
			expect(pairs[0].preferred_output[0].content).toMatch(/^a better answer \d+$/);
			expect(pairs[0].non_preferred_output[0].content).toMatch(/^answer \d+$/);
			const done = await row(env.db, started.fineTuneId);
			expect(done.method).toBe('dpo');
			expect((await modelChoices(env.db)).map((m) => m.id)).toContain(done.resultModelId);
		});

		it('refuses a split with too few preference pairs before anything is uploaded', async () => {
			const env = await setup({}, adapter, { repaired: 0, allTrain: true });
			const uploadsBefore = standin.uploads.length;
			const refused = await ask(env, {
				adapter,
				method: 'dpo',
				providerId: env.providerId,
				baseModel: 'base-small',
				suffix: null,
				hyperparameters: HYPERPARAMETERS
			});
			expect(refused).toMatchObject({ ok: false, field: 'method' });
			expect((refused as { message: string }).message).toMatch(
				/^The train split has 0 preference pairs \(a person’s repair of an earlier output\); \w+ trains on at least \d+\. Repair more outputs, or train supervised\.$/
			);
			expect(await env.db.select().from(fineTune)).toEqual([]);
			expect(standin.uploads.length).toBe(uploadsBefore);
		});
	}
);

it('OpenAI trains on at least 10 preference pairs: 9 are refused with the reason', async () => {
	const env = await setup({}, 'openai', { repaired: 9, allTrain: true });
	const refused = await ask(env, {
		adapter: 'openai',
		method: 'dpo',
		providerId: env.providerId,
		baseModel: 'base-small',
		suffix: null,
		hyperparameters: HYPERPARAMETERS
	});
	expect(refused).toEqual({
		ok: false,
		field: 'method',
		message:
			'The train split has 9 preference pairs (a person’s repair of an earlier output); OpenAI trains on at least 10. Repair more outputs, or train supervised.'
	});
});

it('Hugging Face Jobs trains supervised only: a preference fine-tune is refused beside the method', async () => {
	const env = await setup({}, 'hf_jobs', { repaired: 12, allTrain: true });
	const refused = await ask(env, {
		adapter: 'hf_jobs',
		method: 'dpo',
		providerId: env.providerId,
		baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
		suffix: null,
		hyperparameters: HYPERPARAMETERS
	});
	expect(refused).toEqual({
		ok: false,
		field: 'method',
		message:
			'Hugging Face Jobs runs supervised training only here: choose another service for preference training.'
	});
	expect(await env.db.select().from(fineTune)).toEqual([]);
});

it('a Hugging Face Job mounts the uploaded files and the TRL script, on the hardware chosen', async () => {
	const env = await setup({}, 'hf_jobs');
	const started = await ask(env, {
		adapter: 'hf_jobs',
		providerId: env.providerId,
		baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
		suffix: 'support',
		hyperparameters: {
			...HYPERPARAMETERS,
			learningRateMultiplier: null,
			loraRank: 8,
			flavor: 'l4x1',
			timeoutHours: 2
		}
	});
	if (!started.ok) throw new Error(started.message);
	follower(env.db);
	await follow(env.db, started.fineTuneId, ['queued', 'running', 'succeeded']);
	const jobId = (await row(env.db, started.fineTuneId)).externalJobId!;
	const job = (await (await fetch(`${new URL(standin.url).origin}/api/jobs/${jobId}`)).json()) as {
		flavor: string;
		timeoutSeconds: number;
		command: string[];
		secrets: string[];
		volumes: { type: string; source: string; mountPath: string }[];
	};
	expect(job.flavor).toBe('l4x1');
	expect(job.timeoutSeconds).toBe(7200);
	expect(job.secrets).toEqual(['HF_TOKEN']);
	expect(job.volumes).toEqual([
		expect.objectContaining({
			type: 'dataset',
			source: `standin-user/winnow-dataset-${env.datasetId}`,
			mountPath: '/data'
		})
	]);
	expect(job.command.slice(0, 3)).toEqual(['uv', 'run', '/data/train_sft.py']);
	expect(job.command).toEqual(
		expect.arrayContaining(['--base-model', 'Qwen/Qwen2.5-0.5B-Instruct', '--lora-rank', '8'])
	);
	expect(job.command[job.command.indexOf('--hub-model-id') + 1]).toMatch(
		/^standin-user\/winnow-support-[0-9a-f]{6}$/
	);
});

describe('each service’s own limits, checked before anything is uploaded', () => {
	it('OpenAI trains on at least 10 examples: 6 are refused beside the service, and Together takes them', async () => {
		const env = await setup({}, 'openai', { examples: 6, allTrain: true });
		const uploadsBefore = standin.uploads.length;
		expect(await ask(env, {})).toEqual({
			ok: false,
			field: 'adapter',
			message:
				'The train split has 6 examples; OpenAI trains on at least 10 (OpenAI fine-tuning guide: a training file needs at least 10 examples). Freeze a dataset with more, or choose another service.'
		});
		expect(await env.db.select().from(fineTune)).toEqual([]);
		expect(standin.uploads.length).toBe(uploadsBefore);
		const together = await ask(env, {
			adapter: 'together',
			hyperparameters: { ...HYPERPARAMETERS, learningRateMultiplier: null }
		});
		expect(together.ok).toBe(true);
	});

	it('a file over what Hugging Face takes fails on the fine-tune’s page before a byte is sent', async () => {
		const env = await setup({}, 'hf_jobs', {
			examples: 12,
			allTrain: true,
			answer: (i) => `${i} ${'x'.repeat(1_000_000)}`
		});
		const jobsBefore = standin.hub.jobs;
		const uploadsBefore = standin.uploads.length;
		const started = await ask(env, {
			adapter: 'hf_jobs',
			baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
			hyperparameters: { ...HYPERPARAMETERS, learningRateMultiplier: null }
		});
		if (!started.ok) throw new Error(started.message);
		follower(env.db);
		// Refused before it was ever marked as uploading.
		expect(await follow(env.db, started.fineTuneId)).toEqual(['pending', 'failed']);
		const done = await row(env.db, started.fineTuneId);
		expect(done.error).toMatch(
			/^The train file is 11\.\d MB; Hugging Face Jobs takes files of at most 10\.0 MB \(Winnow commits files to the Hub inline, up to 10 MB \(larger ones need Git LFS\)\)\. Freeze a smaller dataset, or choose another service\.$/
		);
		expect(done.trainingFileId).toBeNull();
		expect(done.externalJobId).toBeNull();
		expect(standin.hub.jobs).toBe(jobsBefore);
		expect(standin.uploads.length).toBe(uploadsBefore);
	});

	it('examples longer than the job trains on are named on the fine-tune’s page; a longer context cuts none', async () => {
		const env = await setup({}, 'hf_jobs', {
			allTrain: true,
			answer: (i) => (i < 3 ? `long ${'word '.repeat(1500)}` : `answer ${i}`)
		});
		const tune = async (maxContextLength: number | null) => {
			const started = await ask(env, {
				adapter: 'hf_jobs',
				baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
				hyperparameters: { ...HYPERPARAMETERS, learningRateMultiplier: null, maxContextLength }
			});
			if (!started.ok) throw new Error(started.message);
			expect((await follow(env.db, started.fineTuneId)).at(-1)).toBe('succeeded');
			const done = await row(env.db, started.fineTuneId);
			const job = (await (
				await fetch(`${new URL(standin.url).origin}/api/jobs/${done.externalJobId}`)
			).json()) as { command: string[] };
			return {
				cuts: (await fineTuneEvents(env.db, started.fineTuneId)).filter((e) =>
					e.message.includes('longer than')
				),
				maxLength: job.command.includes('--max-length')
					? job.command[job.command.indexOf('--max-length') + 1]
					: null
			};
		};
		follower(env.db);
		const cut = await tune(null);
		expect(cut.maxLength).toBeNull();
		expect(cut.cuts.map((e) => [e.level, e.message])).toEqual([
			[
				'warning',
				'3 training examples are longer than 1,024 tokens; Hugging Face Jobs cuts them to that length, and the end of the answer is not learned.'
			]
		]);
		const whole = await tune(2048);
		expect(whole.maxLength).toBe('2048');
		expect(whole.cuts).toEqual([]);
	});
});

it('Together continues a preference run from an earlier supervised job; an unknown checkpoint is told plainly', async () => {
	const env = await setup({}, 'together', { repaired: 12, allTrain: true });
	follower(env.db);
	const settings = { ...HYPERPARAMETERS, learningRateMultiplier: null };
	const tune = async (method: 'supervised' | 'dpo', fromCheckpoint: string | null) => {
		const started = await ask(env, {
			adapter: 'together',
			method,
			hyperparameters: { ...settings, fromCheckpoint }
		});
		if (!started.ok) throw new Error(started.message);
		await follow(env.db, started.fineTuneId);
		return await row(env.db, started.fineTuneId);
	};
	const supervised = await tune('supervised', null);
	expect(supervised.status).toBe('succeeded');

	const preference = await tune('dpo', supervised.externalJobId);
	expect(preference.status).toBe('succeeded');
	const asked = (await (
		await fetch(`${standin.url}/fine-tunes/${preference.externalJobId}`)
	).json()) as { from_checkpoint?: string };
	expect(asked.from_checkpoint).toBe(supervised.externalJobId);

	const unknown = await tune('dpo', 'ft-no-such-job');
	expect(unknown.status).toBe('failed');
	expect(unknown.error).toBe(
		'The provider refused the request (400): Checkpoint ft-no-such-job was not found.'
	);
	expect(unknown.resultModelId).toBeNull();
});
