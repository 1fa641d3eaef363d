import { eq } from 'drizzle-orm';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createMigratedDb } from '$lib/server/db';
import { fineTune, model, provider } from '$lib/server/db/schema';
import { freezeDataset, getDataset } from '$lib/server/datasets';
import { bundleEntries, splitsZipEntries, zipStream } from '$lib/server/datasets/bundle';
import { registerServedModel } from '$lib/server/finetune';
import { addMember } from '$lib/server/projects';
import { modelChoices } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { decryptSecret } from '$lib/server/secrets';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { TEST_SECRET } from '../support/jobs';

async function frozenDataset() {
	const db = createMigratedDb();
	const admin = await makeUser(db, 'admin');
	const rater = await makeUser(db, 'annotator');
	const target = makeProject(db, admin.id, {
		reviewsRequired: 1,
		splitTrain: 60,
		splitVal: 20,
		splitTest: 20
	});
	addMember(db, target.id, rater.id);
	await importRows(
		db,
		target,
		Array.from({ length: 40 }, (_, i) => ({ input: `question ${i}`, output: `answer ${i}` }))
	);
	for (let claimed = claimNext(db, target.id, rater.id, T0); claimed;) {
		submitReview(db, target.id, rater.id, reviewSubmission(claimed), T0);
		claimed = claimNext(db, target.id, rater.id, T0);
	}
	const frozen = freezeDataset(db, target, 'Support v1', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	return { db, admin, target, found: getDataset(db, target.id, frozen.datasetId)! };
}

async function unzip(stream: ReadableStream<Uint8Array>) {
	const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
	return Object.fromEntries(
		Object.entries(unzipSync(bytes)).map(([name, data]) => [name, strFromU8(data)])
	);
}

describe('zips of a dataset', () => {
	it('every split in one format, with a manifest naming the counts and the hash', async () => {
		const { db, target, found } = await frozenDataset();
		const files = await unzip(zipStream(splitsZipEntries(db, target, found, 'openai', false)));
		expect(Object.keys(files).sort()).toEqual([
			'manifest.json',
			'support-v1-test-openai.jsonl',
			'support-v1-train-openai.jsonl',
			'support-v1-val-openai.jsonl'
		]);
		const manifest = JSON.parse(files['manifest.json']);
		expect(manifest.counts).toEqual({
			train: found.trainCount,
			val: found.valCount,
			test: found.testCount
		});
		expect(manifest.contentHash).toBe(found.contentHash);
		expect(files['support-v1-train-openai.jsonl'].trim().split('\n')).toHaveLength(
			found.trainCount
		);
	});

	it('the own-GPU bundle: chat files, an Axolotl config, an Unsloth file, and no test split', async () => {
		const { db, target, found } = await frozenDataset();
		const files = await unzip(zipStream(bundleEntries(db, target, found)));
		expect(Object.keys(files).sort()).toEqual([
			'README.txt',
			'axolotl.yaml',
			'manifest.json',
			'train.jsonl',
			'unsloth.sharegpt.jsonl',
			'val.jsonl'
		]);
		expect(files['axolotl.yaml']).toContain('type: chat_template');
		expect(files['axolotl.yaml']).toContain('- path: val.jsonl');
		expect(JSON.parse(files['train.jsonl'].split('\n')[0]).messages.at(-1).role).toBe('assistant');
		expect(
			JSON.parse(files['unsloth.sharegpt.jsonl'].split('\n')[0]).conversations.at(-1).from
		).toBe('gpt');
		const testInputs = Object.values(files).join('\n');
		expect(found.testCount).toBeGreaterThan(0);
		// Each split holds only its own inputs; the test ones appear in no file of the bundle.
		const testFile = await unzip(zipStream(splitsZipEntries(db, target, found, 'csv', false)));
		for (const line of testFile['support-v1-test-csv.csv'].trim().split('\n').slice(1)) {
			const input = line.split(',')[3];
			expect(testInputs).not.toContain(`"${input}"`);
		}
	});
});

describe('a model served from one’s own GPUs', () => {
	it('is registered with its URL, tied to the dataset, and offered everywhere', async () => {
		const { db, admin, target, found } = await frozenDataset();
		const result = registerServedModel(
			db,
			TEST_SECRET,
			target,
			found.id,
			{
				baseUrl: 'http://gpu-box:8000/v1',
				apiKey: 'local-key',
				modelName: 'support-student',
				baseModel: 'meta-llama/Llama-3.1-8B-Instruct'
			},
			admin.id
		);
		if (!result.ok) throw new Error(result.message);
		const made = db.select().from(model).where(eq(model.id, result.modelId)).get()!;
		const tune = db.select().from(fineTune).where(eq(fineTune.id, made.fineTuneId!)).get()!;
		expect(tune).toMatchObject({ adapter: 'bundle', status: 'succeeded', datasetId: found.id });
		const server = db.select().from(provider).where(eq(provider.id, made.providerId)).get()!;
		expect(server.baseUrl).toBe('http://gpu-box:8000/v1');
		expect(decryptSecret(TEST_SECRET, server.apiKeyEncrypted!)).toBe('local-key');
		expect(modelChoices(db).map((m) => m.label)).toContain(
			'support-student (Own GPUs (gpu-box:8000))'
		);
	});
});
