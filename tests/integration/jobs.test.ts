import { eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { example, model, revision } from '$lib/server/db/schema';
import { controlJob, createJob, jobProgress } from '$lib/server/jobs';
import { splitForInputHash } from '$lib/server/split';
import { addModel, deleteModel, deleteProvider } from '$lib/server/providers';
import { JobRunner } from '$lib/server/jobs/runner';
import { runnerStatements } from '$lib/server/jobs/statements';
import { addMember } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { mulberry32 } from '$lib/random';
import { makeProject, makeUser } from '../support/fixtures';
import {
	itemsOf,
	itemsReach,
	jobReaches,
	jobRow,
	standinProvider,
	startJob,
	TEST_SECRET,
	TEST_SETTINGS
} from '../support/jobs';
import { docxOf, pdfOf, scannedPdf } from '../support/documents';
import { documentPassages } from '$lib/server/jobs/documents';
import { startStandin, type Standin, type StandinOptions } from '../support/standin';
import { testDb } from '../support/database';

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } },
	additionalProperties: false
});

let standin: Standin | undefined;
let runner: JobRunner | undefined;

afterEach(async () => {
	await runner?.stop();
	await standin?.close();
	runner = undefined;
	standin = undefined;
});

async function setup(
	options: Partial<StandinOptions> = {},
	projectOverrides: Parameters<typeof makeProject>[2] = {},
	apiKey = ''
) {
	standin = await startStandin(options);
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, projectOverrides);
	const { modelId, providerId } = await standinProvider(db, standin.url, apiKey);
	runner = new JobRunner(db, {
		key: TEST_SECRET,
		random: mulberry32(7),
		baseBackoffMs: 20,
		maxBackoffMs: 200,
		pollMs: 50
	});
	await runner.start();
	return { db, admin, target, modelId, providerId, standin, runner };
}

const inputs = (n: number, prefix = 'question') =>
	Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

describe('a distillation job', () => {
	it('runs every item once, at its concurrency, and fills the review queue', async () => {
		const { db, admin, target, modelId, standin, runner } = await setup({ latencyMs: 30 });
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(6), {
			samplesPerInput: 2,
			concurrency: 4
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);

		const items = await itemsOf(db, jobId);
		expect(items).toHaveLength(12);
		expect(items.every((i) => i.status === 'done' && i.exampleId !== null)).toBe(true);
		expect(new Set(items.map((i) => i.exampleId)).size).toBe(12);
		expect(standin.stats.maxInFlight).toBe(4);

		const made = await db.select().from(example).where(eq(example.jobId, jobId));
		expect(made).toHaveLength(12);
		expect(
			made.every((e) => e.source === 'distillation' && e.claimable && e.status === 'queued')
		).toBe(true);
		const outputs = await db
			.select()
			.from(revision)
			.where(
				inArray(
					revision.exampleId,
					made.map((e) => e.id)
				)
			);
		expect(outputs.every((r) => r.authorKind === 'model' && r.authorModelId === modelId)).toBe(
			true
		);
		expect(outputs.map((r) => r.output)).toContain('Answer to: question 3');

		const progress = await jobProgress(db, await jobRow(db, jobId));
		const row = await jobRow(db, jobId);
		expect(progress.counts).toMatchObject({ done: 12, pending: 0, failed: 0 });
		expect(row.inputTokens).toBe(items.reduce((s, i) => s + i.inputTokens, 0));
		expect(row.inputTokens).toBeGreaterThan(0);
		expect(row.cost).toBeCloseTo((row.inputTokens * 1 + row.outputTokens * 4) / 1e6, 10);

		const annotator = await makeUser(db, 'annotator');
		await addMember(db, target.id, annotator.id);
		expect((await claimNext(db, target.id, annotator.id, new Date()))?.input).toMatch(
			/^question \d+$/
		);
	});

	it('retries 429 (after its Retry-After), 500 and a hung call to completion', async () => {
		const seen = new Map<string, number[]>();
		const { db, admin, target, modelId, runner, standin } = await setup({
			retryAfterMs: 300,
			plan: (request) => {
				const times = [...(seen.get(request.input) ?? []), Date.now()];
				seen.set(request.input, times);
				if (times.length > 1) return 'ok';
				if (request.input === 'question 1') return '429';
				if (request.input === 'question 2') return '500';
				if (request.input === 'question 3') return 'hang';
				return 'ok';
			}
		});
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(4), {
			timeoutSeconds: 0.5
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);

		const items = (await itemsOf(db, jobId)).sort((a, b) => a.input.localeCompare(b.input));
		expect(items.map((i) => [i.status, i.attempts])).toEqual([
			['done', 2],
			['done', 2],
			['done', 2],
			['done', 1]
		]);
		const [first, second] = seen.get('question 1')!;
		expect(second - first).toBeGreaterThanOrEqual(290);
		// The hung call is asked again only once the client gave it up at its timeout.
		const gaveUp = standin.hangsClosed.find((h) => h.input === 'question 3')!;
		expect(gaveUp).toBeDefined();
		expect(seen.get('question 3')![1]).toBeGreaterThanOrEqual(gaveUp.at);
		expect(await db.select().from(example).where(eq(example.jobId, jobId))).toHaveLength(4);
	});

	it('gives up on an item after its attempts, keeping the reason', async () => {
		const { db, admin, target, modelId, runner } = await setup({
			plan: (request) => (request.input === 'question 2' ? '500' : 'ok')
		});
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(2));
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const failed = (await itemsOf(db, jobId)).find((i) => i.input === 'question 2')!;
		expect(failed).toMatchObject({
			status: 'failed',
			attempts: runner.maxAttempts,
			exampleId: null
		});
		expect(failed.error).toMatch(/^Gave up after 8 attempts: The provider answered 500/);
	});

	it('flags malformed and schema-invalid outputs, and keeps them for repair', async () => {
		const { db, admin, target, modelId, runner } = await setup(
			{
				plan: (r) => (r.input === 'broken' ? 'malformed' : r.input === 'off' ? 'invalid' : 'ok')
			},
			{ outputKind: 'json', outputSchema: ANSWER_SCHEMA }
		);
		const jobId = await startJob(db, target, admin.id, [modelId], ['broken', 'off', 'fine']);
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const outputs = await db
			.select({ input: example.input, revision })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(eq(example.jobId, jobId));
		const by = new Map(outputs.map((o) => [o.input, o.revision]));
		expect(by.get('fine')).toMatchObject({ schemaValid: true, output: '{"answer":"answer fine"}' });
		expect(by.get('broken')).toMatchObject({ schemaValid: false, output: '{"answer": "cut off' });
		expect(by.get('broken')?.schemaErrors).toMatch(/^not valid JSON/);
		expect(by.get('off')?.schemaValid).toBe(false);
		expect(by.get('off')?.schemaErrors).toMatch(/must NOT have additional properties|required/);
	});

	it('drops invalid outputs when the job says so: the item fails with the reason', async () => {
		const { db, admin, target, modelId, runner } = await setup(
			{ plan: (r) => (r.input === 'off' ? 'invalid' : 'ok') },
			{ outputKind: 'json', outputSchema: ANSWER_SCHEMA }
		);
		const jobId = await startJob(db, target, admin.id, [modelId], ['off', 'fine'], {
			invalidOutputs: 'drop'
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const off = (await itemsOf(db, jobId)).find((i) => i.input === 'off')!;
		expect(off).toMatchObject({ status: 'failed', exampleId: null });
		expect(off.error).toMatch(/^Invalid output, dropped: /);
		expect(await db.select().from(example).where(eq(example.jobId, jobId))).toHaveLength(1);
	});

	it('keeps reasoning apart from the output', async () => {
		const { db, admin, target, modelId, runner } = await setup();
		const jobId = await startJob(db, target, admin.id, [modelId], ['why is the sky blue'], {
			reasoning: true
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const [made] = await db
			.select({ revision })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(eq(example.jobId, jobId));
		expect(made.revision.output).toBe('Answer to: why is the sky blue');
		expect(made.revision.reasoning).toBe('Working through: why is the sky blue');
	});

	it('pauses, resumes and cancels', async () => {
		const { db, admin, target, modelId, runner } = await setup({ latencyMs: 60 });
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(30), { concurrency: 2 });
		runner.wake();
		await itemsReach(db, jobId, (items) => items.filter((i) => i.status === 'done').length >= 4);
		expect(await controlJob(db, target.id, jobId, 'pause')).toEqual({ ok: true });
		runner.wake();
		// Calls in flight finish and are kept; nothing new starts.
		await itemsReach(db, jobId, (items) => items.every((i) => i.status !== 'running'));
		const pausedDone = (await itemsOf(db, jobId)).filter((i) => i.status === 'done').length;
		await new Promise((r) => setTimeout(r, 200));
		expect((await itemsOf(db, jobId)).filter((i) => i.status === 'done').length).toBe(pausedDone);
		expect((await jobRow(db, jobId)).status).toBe('paused');
		expect(await controlJob(db, target.id, jobId, 'pause')).toMatchObject({ ok: false });

		expect(await controlJob(db, target.id, jobId, 'resume')).toEqual({ ok: true });
		runner.wake();
		await itemsReach(
			db,
			jobId,
			(items) => items.filter((i) => i.status === 'done').length >= pausedDone + 4
		);
		expect(await controlJob(db, target.id, jobId, 'cancel')).toEqual({ ok: true });
		runner.wake();
		await itemsReach(db, jobId, (items) => items.every((i) => i.status !== 'running'));
		const items = await itemsOf(db, jobId);
		const done = items.filter((i) => i.status === 'done');
		expect(items.filter((i) => i.status === 'cancelled').length).toBeGreaterThan(0);
		expect(done.length + items.filter((i) => i.status === 'cancelled').length).toBe(30);
		// Exactly the done items have examples: a cancelled call leaves nothing behind.
		expect(await db.select().from(example).where(eq(example.jobId, jobId))).toHaveLength(
			done.length
		);
		expect(await jobRow(db, jobId)).toMatchObject({ status: 'cancelled' });
	});
});

describe('a large job', () => {
	it('is created whole, however many items it has', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId, providerId } = await standinProvider(db, 'http://localhost:9/v1');
		const second = await addModel(db, providerId, {
			name: 'student-small',
			inputPricePerMTok: 0,
			outputPricePerMTok: 0
		});
		const jobId = await startJob(db, target, admin.id, [modelId, second.id], inputs(4_000));
		expect(await itemsOf(db, jobId)).toHaveLength(8_000);
	});

	it('gives an answered call’s slot to the next item before the answer is written, in its own worker only', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id);
		const { modelId } = await standinProvider(db, 'http://localhost:9/v1');
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(5), { concurrency: 2 });
		const statements = runnerStatements(db);
		const start = Date.now();
		const claim = (owner: string, answered?: Map<number, number>, now = start) =>
			db.transaction(() =>
				statements.claimItems(
					{ jobId, concurrency: 2, owner, now, until: now + 60_000, answered },
					async () => true
				)
			);
		const [first, second] = await claim('a');
		expect(second).toBeDefined();
		expect(await claim('b')).toEqual([]);
		// The first call was answered; its item is still running until the answer is written.
		const answered = new Map([[first.id, first.leaseToken]]);
		const [third, ...more] = await claim('a', answered);
		expect(third.id).not.toBe(first.id);
		expect(more).toEqual([]);
		// Another worker cannot know the answer came: it still counts three items in flight.
		expect(await claim('b')).toEqual([]);
		expect(await claim('a', answered)).toEqual([]);
		const running = (await itemsOf(db, jobId)).filter((i) => i.status === 'running');
		expect(running.map((i) => i.id).sort()).toEqual([first.id, second.id, third.id].sort());

		// The answer's write outlasted every lease, and the worker took the first item again:
		// under its new lease it is a call in flight once more, whatever was answered before.
		const later = start + 61_000;
		const again = await claim('a', answered, later);
		expect(again.map((i) => i.id)).toEqual([first.id, second.id]);
		expect(await claim('a', answered, later)).toEqual([]);
	});
});

describe('a job that cannot work', () => {
	it('a refused key fails the job at once with the reason', async () => {
		standin = await startStandin({ apiKey: 'right-key' });
		const { db, admin, target, modelId, runner } = await setupWith(standin.url, 'wrong-key');
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(5));
		runner.wake();
		await jobReaches(db, jobId, ['failed']);
		expect((await jobRow(db, jobId)).error).toMatch(/^The provider refused the API key \(401\)/);
		expect((await itemsOf(db, jobId)).every((i) => i.status === 'failed')).toBe(true);
		expect(await db.select().from(example)).toEqual([]);
	});

	it('an unknown model fails the job with the provider’s message', async () => {
		standin = await startStandin();
		const { db, admin, target, modelId, runner } = await setupWith(
			standin.url,
			'',
			'no-such-model'
		);
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(3));
		runner.wake();
		await jobReaches(db, jobId, ['failed']);
		expect((await jobRow(db, jobId)).error).toMatch(/does not know this model.*no-such-model/);
	});

	it('in a job of two models, an unknown one stops alone and the other answers every input', async () => {
		standin = await startStandin();
		const { db, admin, target, modelId, runner } = await setupWith(standin.url, '');
		const providerId = (await db.select().from(model).where(eq(model.id, modelId)).limit(1))[0]!
			.providerId;
		const ghost = await addModel(db, providerId, {
			name: 'no-such-model',
			inputPricePerMTok: 0,
			outputPricePerMTok: 0
		});
		const jobId = await startJob(db, target, admin.id, [ghost.id, modelId], inputs(6), {
			concurrency: 4
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const items = await itemsOf(db, jobId);
		const byModel = (id: number) => items.filter((i) => i.modelId === id);
		expect(byModel(modelId).map((i) => i.status)).toEqual(Array(6).fill('done'));
		expect(byModel(ghost.id).map((i) => i.status)).toEqual(Array(6).fill('failed'));
		expect(byModel(ghost.id).every((i) => /does not know this model/.test(i.error!))).toBe(true);
		expect(await db.select().from(example).where(eq(example.jobId, jobId))).toHaveLength(6);
		const { error } = await jobRow(db, jobId);
		expect(error).toMatch(
			/^Stopped asking no-such-model \(Stand-in\): The provider does not know this model/
		);
		expect(error).not.toContain('teacher-large');
	});

	it('a job fails when every one of its models is refused, naming each', async () => {
		standin = await startStandin();
		const { db, admin, target, modelId, runner } = await setupWith(standin.url, '', 'ghost-one');
		const providerId = (await db.select().from(model).where(eq(model.id, modelId)).limit(1))[0]!
			.providerId;
		const other = await addModel(db, providerId, {
			name: 'ghost-two',
			inputPricePerMTok: 0,
			outputPricePerMTok: 0
		});
		const jobId = await startJob(db, target, admin.id, [modelId, other.id], inputs(4));
		runner.wake();
		await jobReaches(db, jobId, ['failed']);
		const { error } = await jobRow(db, jobId);
		expect(error).toContain('Stopped asking ghost-one (Stand-in)');
		expect(error).toContain('Stopped asking ghost-two (Stand-in)');
		expect((await itemsOf(db, jobId)).every((i) => i.status === 'failed')).toBe(true);
		expect(await db.select().from(example)).toEqual([]);
	});
});

describe('a schema the provider rejects', () => {
	it('fails the job with the provider’s reason and writes no example', async () => {
		const { db, admin, target, modelId, runner } = await setup(
			{},
			{
				outputKind: 'json',
				outputSchema: JSON.stringify({ type: 'array', items: { type: 'string' } })
			}
		);
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(3));
		runner.wake();
		await jobReaches(db, jobId, ['failed']);
		expect((await jobRow(db, jobId)).error).toMatch(
			/^The provider refused the output schema \(400\): Invalid schema for response_format 'answer'/
		);
		expect(await db.select().from(example).where(eq(example.jobId, jobId))).toEqual([]);
	});
});

async function setupWith(url: string, apiKey: string, modelName = 'teacher-large') {
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id);
	const { modelId } = await standinProvider(db, url, apiKey, modelName);
	runner = new JobRunner(db, { key: TEST_SECRET, baseBackoffMs: 20, pollMs: 50 });
	await runner.start();
	return { db, admin, target, modelId, runner };
}

describe('a documents job', () => {
	it('writes each proposed pair as its own example, in the split of its own input', async () => {
		const { db, admin, target, modelId, runner } = await setup();
		const jobId = await createJob(db, target, admin.id, {
			kind: 'documents',
			modelIds: [modelId],
			settings: TEST_SETTINGS,
			inputs: ['# Returns\n\nAny item within 60 days.', '# Shipping\n\nParcels leave in a day.'],
			pairs: { pairPrompt: 'Propose questions this passage answers.', pairsPerPassage: 2 },
			source: { kind: 'documents', description: 'passages of policy.md' }
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const made = await db.select().from(example).where(eq(example.jobId, jobId));
		expect(made).toHaveLength(4);
		expect(made.every((e) => e.source === 'documents')).toBe(true);
		expect(made.every((e) => e.split === splitForInputHash(e.inputHash, target))).toBe(true);
		expect(new Set(made.map((e) => e.dedupeKey)).size).toBe(4);
		expect(
			(await itemsOf(db, jobId)).every((i) => i.status === 'done' && i.exampleId !== null)
		).toBe(true);
	});
});

describe('a documents job over a PDF and a Word file', () => {
	const sentence = (topic: string, n: number) =>
		`Rule ${n} about ${topic}: a customer who asks about ${topic} gets an answer within ${n + 1} days, and the answer names the next step, the person in charge and the date by which it happens.`;
	const paragraph = (topic: string, from: number) =>
		[0, 1, 2].map((k) => sentence(topic, from + k)).join(' ');
	const pdfPages = [
		['# Returns policy', paragraph('returns', 1), paragraph('refunds', 4)],
		[
			'# Shipping policy',
			paragraph('shipping', 7),
			paragraph('parcels', 10),
			paragraph('couriers', 13)
		]
	];
	const docxBlocks = [
		'# Warranty',
		paragraph('warranty', 16),
		'# Repairs',
		paragraph('repairs', 19)
	];

	it('reads every passage’s text, headings kept, in order, and the job works each passage once', async () => {
		const read = await documentPassages([
			{ name: 'policy.pdf', bytes: pdfOf(pdfPages) },
			{ name: 'warranty.docx', bytes: docxOf(docxBlocks) }
		]);
		if (!read.ok) throw new Error(read.error);
		const all = read.passages.join('\n\n');
		let at = 0;
		for (const block of [...pdfPages.flat(), ...docxBlocks]) {
			const wanted = block.startsWith('# ') ? block.slice(2) : block;
			const found = all.indexOf(wanted, at);
			expect(found, `“${wanted.slice(0, 40)}…” in order`).toBeGreaterThanOrEqual(at);
			at = found + wanted.length;
		}
		expect(read.passages.filter((p) => /^#+ (Returns|Shipping) policy/.test(p))).toHaveLength(2);
		expect(read.passages.some((p) => p.startsWith('# Warranty'))).toBe(true);
		expect(read.passages.every((p) => p.length <= 2000)).toBe(true);

		const { db, admin, target, modelId, runner } = await setup();
		const jobId = await createJob(db, target, admin.id, {
			kind: 'documents',
			modelIds: [modelId],
			settings: TEST_SETTINGS,
			inputs: read.passages,
			pairs: { pairPrompt: 'Propose questions this passage answers.', pairsPerPassage: 1 },
			source: { kind: 'documents', description: 'passages of policy.pdf, warranty.docx' }
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const items = (await itemsOf(db, jobId)).sort((a, b) => a.id - b.id);
		expect(items.map((i) => i.input)).toEqual([...new Set(read.passages)]);
		expect(items.every((i) => i.status === 'done' && i.exampleId !== null)).toBe(true);
	});

	it('gives a conversation project one-question threads answered by the passage', async () => {
		const { db, admin, target, modelId, runner } = await setup(
			{},
			{ inputKind: 'conversation', outputKind: 'turn' }
		);
		const jobId = await createJob(db, target, admin.id, {
			kind: 'documents',
			modelIds: [modelId],
			settings: TEST_SETTINGS,
			inputs: [paragraph('returns', 1)],
			pairs: { pairPrompt: 'Propose questions this passage answers.', pairsPerPassage: 2 },
			source: { kind: 'documents', description: 'passages of policy.md' }
		});
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const made = await db
			.select({ input: example.input, key: example.conversationKey, output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(eq(example.jobId, jobId));
		expect(made).toHaveLength(2);
		for (const row of made) {
			const thread = JSON.parse(row.input);
			expect(thread.messages).toHaveLength(1);
			expect(thread.messages[0].role).toBe('user');
			expect(JSON.parse(row.output!)).toMatchObject({ role: 'assistant' });
			expect(row.key).toMatch(/^[0-9a-f]{64}$/);
		}
	});

	it('says plainly that a scanned PDF has no text, and that a damaged file cannot be read', async () => {
		expect(await documentPassages([{ name: 'scan.pdf', bytes: scannedPdf() }])).toEqual({
			ok: false,
			error:
				'scan.pdf has no text to read: it looks like a scanned PDF (pictures of pages). Run it through text recognition (OCR) first.'
		});
		expect(
			await documentPassages([
				{ name: 'broken.docx', bytes: new TextEncoder().encode('not a zip') }
			])
		).toEqual({
			ok: false,
			error:
				'broken.docx could not be read as a Word (.docx) file; it may be damaged or protected by a password.'
		});
		expect(
			await documentPassages([{ name: 'sheet.xlsx', bytes: new Uint8Array(1) }])
		).toMatchObject({
			ok: false,
			error: 'sheet.xlsx is not a .txt, .md, .pdf or .docx file.'
		});
	});
});

describe('removing a teacher in use', () => {
	it('is refused while a job still has items for it, and allowed once nothing uses it', async () => {
		const { db, admin, target, modelId, providerId } = await setup();
		const jobId = await startJob(db, target, admin.id, [modelId], inputs(2));
		expect(await deleteModel(db, providerId, modelId)).toEqual({
			ok: false,
			status: 409,
			message: 'A job still has 2 item(s) for it; cancel or finish the job first.'
		});
		expect(await deleteProvider(db, providerId)).toMatchObject({ ok: false, status: 409 });
		await controlJob(db, target.id, jobId, 'cancel');
		expect(await deleteModel(db, providerId, modelId)).toEqual({ ok: true });
		expect(await deleteProvider(db, providerId)).toEqual({ ok: true });
	});
});
