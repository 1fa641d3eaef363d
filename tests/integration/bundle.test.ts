import { and, eq } from 'drizzle-orm';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { datasetItem, fineTune, model, provider, revision } from '$lib/server/db/schema';
import { freezeDataset, getDataset } from '$lib/server/datasets';
import { bundleEntries, splitsZip, zipStream } from '$lib/server/datasets/bundle';
import { registerServedModel } from '$lib/server/finetune';
import { addMember } from '$lib/server/projects';
import { modelChoices } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { decryptSecret } from '$lib/server/secrets';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { TEST_SECRET } from '../support/jobs';
import { testDb } from '../support/database';

async function frozenDataset(inputOf = (i: number) => `question ${i}`) {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const rater = await makeUser(db, 'annotator');
	const target = await makeProject(db, admin.id, {
		reviewsRequired: 1,
		splitTrain: 60,
		splitVal: 20,
		splitTest: 20
	});
	await addMember(db, target.id, rater.id);
	await importRows(
		db,
		target,
		Array.from({ length: 40 }, (_, i) => ({ input: inputOf(i), output: `answer ${i}` }))
	);
	for (let claimed = await claimNext(db, target.id, rater.id, T0); claimed;) {
		await submitReview(db, target.id, rater.id, reviewSubmission(claimed), T0);
		claimed = await claimNext(db, target.id, rater.id, T0);
	}
	const frozen = await freezeDataset(
		db,
		target,
		'Support v1',
		datasetFilterSchema.parse({}),
		admin.id
	);
	if (!frozen.ok) throw new Error(frozen.message);
	return { db, admin, target, found: (await getDataset(db, target.id, frozen.datasetId))! };
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
		const zip = await splitsZip(db, target, found, 'openai', false);
		if (!zip.ok) throw new Error(zip.message);
		const files = await unzip(zipStream(zip.entries));
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
			'train_sft.py',
			'unsloth.sharegpt.jsonl',
			'val.jsonl'
		]);
		expect(files['train_sft.py']).toContain('from trl import SFTConfig, SFTTrainer');
		expect(files['axolotl.yaml']).toContain('type: chat_template');
		expect(files['axolotl.yaml']).toContain('- path: val.jsonl');
		expect(JSON.parse(files['train.jsonl'].split('\n')[0]).messages.at(-1).role).toBe('assistant');
		expect(
			JSON.parse(files['unsloth.sharegpt.jsonl'].split('\n')[0]).conversations.at(-1).from
		).toBe('gpt');
		const testInputs = Object.values(files).join('\n');
		expect(found.testCount).toBeGreaterThan(0);
		// Each split holds only its own inputs; the test ones appear in no file of the bundle.
		const csv = await splitsZip(db, target, found, 'csv', false);
		if (!csv.ok) throw new Error(csv.message);
		const testFile = await unzip(zipStream(csv.entries));
		for (const line of testFile['support-v1-test-csv.csv'].trim().split('\n').slice(1)) {
			const input = line.split(',')[3];
			expect(testInputs).not.toContain(`"${input}"`);
		}
	});
});

describe('what a zip holds', () => {
	it('with reasoning: only files with lines, named so, and a manifest saying what was left out', async () => {
		const { db, target, found } = await frozenDataset();
		const trainRevisions = (
			await db
				.select({ id: datasetItem.revisionId })
				.from(datasetItem)
				.where(and(eq(datasetItem.datasetId, found.id), eq(datasetItem.split, 'train')))
		).slice(0, 3);
		for (const { id } of trainRevisions) {
			await db.transaction(async (tx) =>
				tx.update(revision).set({ reasoning: 'thought' }).where(eq(revision.id, id))
			);
		}
		const zip = await splitsZip(db, target, found, 'openai', true);
		if (!zip.ok) throw new Error(zip.message);
		const files = await unzip(zipStream(zip.entries));
		expect(Object.keys(files).sort()).toEqual([
			'manifest.json',
			'support-v1-train-openai-reasoning.jsonl'
		]);
		expect(files['support-v1-train-openai-reasoning.jsonl'].trim().split('\n')).toHaveLength(3);
		const manifest = JSON.parse(files['manifest.json']);
		expect(manifest.format).toBe('openai');
		expect(manifest.reasoning).toEqual({
			included: true,
			note: `Files with reasoning take only the examples that have the teacher’s reasoning, in a <think> block before the answer (in CSV, a column of its own); the others are left out (${found.trainCount - 3} of ${found.trainCount} train, ${found.valCount} of ${found.valCount} val, ${found.testCount} of ${found.testCount} test).`,
			examplesLeftOut: {
				train: found.trainCount - 3,
				val: found.valCount,
				test: found.testCount
			}
		});
		expect(manifest.lines).toEqual({ 'support-v1-train-openai-reasoning.jsonl': 3 });
		expect(manifest.notWritten).toEqual([
			{
				split: 'val',
				reason: `No val example (of ${found.valCount}) has the teacher’s reasoning, so a file with reasoning would be empty; download it without reasoning.`
			},
			{
				split: 'test',
				reason: `No test example (of ${found.testCount}) has the teacher’s reasoning, so a file with reasoning would be empty; download it without reasoning.`
			}
		]);
	});

	it('a zip that would hold no line is refused with the reason', async () => {
		const { db, target, found } = await frozenDataset();
		expect(await splitsZip(db, target, found, 'openai_dpo', false)).toEqual({
			ok: false,
			message: `No train example (of ${found.trainCount}) is a person’s repair of an earlier output or the better side of a settled comparison, so there is no preference pair for that file.`
		});
	});

	it('the bundle’s JSONL files keep one record a line', async () => {
		const { db, target, found } = await frozenDataset((i) => `question\u2028${i}\u2029`);
		const files = await unzip(zipStream(bundleEntries(db, target, found)));
		const manifest = JSON.parse(files['manifest.json']);
		expect(manifest.reasoning).toEqual({ included: false });
		for (const name of ['train.jsonl', 'val.jsonl', 'unsloth.sharegpt.jsonl']) {
			expect(files[name]).not.toMatch(/[\u2028\u2029]/);
			const lines = files[name].trim().split('\n');
			expect(lines).toHaveLength(name === 'val.jsonl' ? found.valCount : found.trainCount);
			for (const line of lines) expect(JSON.stringify(JSON.parse(line))).toContain('\u2028');
		}
	});
});

describe('a model served from one’s own GPUs', () => {
	it('is registered with its URL, tied to the dataset, and offered everywhere', async () => {
		const { db, admin, target, found } = await frozenDataset();
		const result = await registerServedModel(
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
		const made = (await db.select().from(model).where(eq(model.id, result.modelId)).limit(1))[0]!;
		const tune = (
			await db.select().from(fineTune).where(eq(fineTune.id, made.fineTuneId!)).limit(1)
		)[0]!;
		expect(tune).toMatchObject({ adapter: 'bundle', status: 'succeeded', datasetId: found.id });
		const server = (
			await db.select().from(provider).where(eq(provider.id, made.providerId)).limit(1)
		)[0]!;
		expect(server.baseUrl).toBe('http://gpu-box:8000/v1');
		expect(decryptSecret(TEST_SECRET, server.apiKeyEncrypted!)).toBe('local-key');
		expect((await modelChoices(db)).map((m) => m.label)).toContain(
			'support-student (Own GPUs (gpu-box:8000))'
		);
	});
});
