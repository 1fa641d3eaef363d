import { count } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { example, job, revision, type Project } from '$lib/server/db/schema';
import { JobRunner } from '$lib/server/jobs/runner';
import { promptPreview, tryModels, type PlaygroundSettings } from '$lib/server/playground';
import { addModel, createProvider, deleteModel } from '$lib/server/providers';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { fieldErrors } from '$lib/schemas/forms';
import { playgroundSchema } from '$lib/schemas/playground';
import { importRows, makeProject, makeUser, reviewSubmission, T0 } from '../support/fixtures';
import { jobReaches, standinProvider, startJob, TEST_SECRET } from '../support/jobs';
import { startStandin, type Standin, type StandinRequest } from '../support/standin';
import { testDb } from '../support/database';

const ANSWER_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['answer'],
	properties: { answer: { type: 'string' } },
	additionalProperties: false
});

const QUESTION_SCHEMA = JSON.stringify({
	type: 'object',
	required: ['question'],
	properties: { question: { type: 'string' } }
});

const SETTINGS: PlaygroundSettings = {
	temperature: 0.2,
	maxTokens: null,
	fewShot: 0,
	reasoning: false
};

let standin: Standin | undefined;
let runner: JobRunner | undefined;

afterEach(async () => {
	await runner?.stop();
	await standin?.close();
	runner = undefined;
	standin = undefined;
});

/** A stand-in that remembers every chat request it was sent. */
async function setup(projectOverrides: Parameters<typeof makeProject>[2] = {}, latencyMs = 0) {
	const seen: StandinRequest[] = [];
	standin = await startStandin({
		latencyMs,
		apiKey: 'sk-right',
		plan: (request) => {
			seen.push(request);
			return undefined;
		}
	});
	const db = await testDb();
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, projectOverrides);
	const { modelId, providerId } = await standinProvider(db, standin.url, 'sk-right');
	return { db, admin, target, modelId, providerId, standin, seen };
}

/** A clock that moves 250 ms at every reading. */
function ticking() {
	let at = 0;
	return () => (at += 250);
}

async function rowCounts(db: Db) {
	const rows = async (table: SQLiteTable) =>
		(await db.select({ n: count() }).from(table).limit(1))[0]!.n;
	return { examples: await rows(example), revisions: await rows(revision), jobs: await rows(job) };
}

/** Accepts every queued example with five stars, so the training ones become few-shot material. */
async function acceptAll(db: Db, target: Project, userId: string) {
	for (let claimed = await claimNext(db, target.id, userId, T0); claimed;) {
		const result = await submitReview(db, target.id, userId, reviewSubmission(claimed), T0);
		if (!result.ok) throw new Error(`review refused: ${JSON.stringify(result)}`);
		claimed = await claimNext(db, target.id, userId, T0);
	}
}

describe('the playground', () => {
	it('asks a model with the project’s prompt and reports its answer, tokens, cost and time', async () => {
		const { db, target, modelId, seen } = await setup({
			instruction: 'Answer the customer politely.',
			requirements: [{ name: 'Short', description: 'two sentences at most' }]
		});
		const before = await rowCounts(db);
		const [result] = await tryModels(
			db,
			TEST_SECRET,
			target,
			[modelId],
			'Where is my parcel?',
			SETTINGS,
			ticking()
		);

		expect(result).toMatchObject({
			ok: true,
			modelId,
			label: 'teacher-large (Stand-in)',
			output: 'Answer to: Where is my parcel?',
			reasoning: null,
			schemaValid: null,
			schemaErrors: null,
			latencyMs: 250
		});
		if (!result.ok) throw new Error(result.error);
		expect(result.inputTokens).toBeGreaterThan(0);
		expect(result.outputTokens).toBe(Math.ceil('Answer to: Where is my parcel?'.length / 4));
		expect(result.cost).toBeCloseTo((result.inputTokens * 1 + result.outputTokens * 4) / 1e6, 12);

		expect(seen).toHaveLength(1);
		expect(seen[0].messages).toEqual([
			{
				role: 'system',
				content:
					'Answer the customer politely.\n\nThe output must meet these requirements:\n- Short: two sentences at most'
			},
			{ role: 'user', content: 'Where is my parcel?' }
		]);
		expect(await promptPreview(db, target, SETTINGS)).toEqual({
			system: seen[0].messages[0].content,
			examples: []
		});
		// Nothing the playground does is kept.
		expect(await rowCounts(db)).toEqual(before);
	});

	it('asks for a conversation’s next turn with its tools, and shows the calls it gets', async () => {
		const { db, target, modelId, seen } = await setup({
			inputKind: 'conversation',
			outputKind: 'turn',
			instruction: 'Help with orders.'
		});
		const tool = {
			type: 'function',
			function: {
				name: 'lookup_order',
				parameters: {
					type: 'object',
					properties: { order: { type: 'integer' } },
					required: ['order']
				}
			}
		};
		const thread = { messages: [{ role: 'user', content: 'Where is order 12?' }], tools: [tool] };
		const form = playgroundSchema(target).parse({
			modelIds: [String(modelId)],
			input: JSON.stringify(thread, null, 2),
			temperature: '',
			maxTokens: '',
			fewShot: '0',
			reasoning: ''
		});
		const { modelIds, input, ...settings } = form;
		const [result] = await tryModels(db, TEST_SECRET, target, modelIds, input, settings);
		expect(seen[0].messages).toEqual([
			{ role: 'system', content: 'Help with orders.' },
			{ role: 'user', content: 'Where is order 12?' }
		]);
		expect(result).toMatchObject({ ok: true, schemaValid: true, schemaErrors: null });
		const turn = JSON.parse(result.ok ? result.output : 'null');
		expect(turn.tool_calls[0].function).toEqual({ name: 'lookup_order', arguments: '{"order":1}' });

		const ended = playgroundSchema(target).safeParse({
			...form,
			modelIds: [String(modelId)],
			input: JSON.stringify({
				messages: [...thread.messages, { role: 'assistant', content: 'Hi' }]
			})
		});
		expect(ended.success ? '' : fieldErrors(ended.error).input?.[0]).toContain(
			'ends with an assistant turn'
		);
	});

	it('checks a JSON answer against the output schema and sends a JSON input compact', async () => {
		const { db, target, modelId, seen } = await setup({
			inputKind: 'json',
			inputSchema: QUESTION_SCHEMA,
			outputKind: 'json',
			outputSchema: ANSWER_SCHEMA
		});
		const form = playgroundSchema(target).parse({
			modelIds: [String(modelId)],
			input: '{\r\n  "question": "where is it"\r\n}\r\n',
			temperature: '',
			maxTokens: '',
			fewShot: '0',
			reasoning: ''
		});
		expect(form.input).toBe('{"question":"where is it"}');
		const { modelIds, input, ...settings } = form;
		const [result] = await tryModels(db, TEST_SECRET, target, modelIds, input, settings);

		expect(seen[0].input).toBe('{"question":"where is it"}');
		expect(result).toMatchObject({
			ok: true,
			output: '{"answer":"answer {\\"question\\":\\"where is it\\"}"}',
			schemaValid: true,
			schemaErrors: null
		});
	});

	it('flags an answer that breaks the schema and keeps JSON reasoning apart', async () => {
		const { db, target, modelId, standin } = await setup({
			outputKind: 'json',
			outputSchema: ANSWER_SCHEMA
		});
		standin.set({ plan: (r) => (r.input === 'off' ? 'invalid' : undefined) });
		const [off] = await tryModels(db, TEST_SECRET, target, [modelId], 'off', SETTINGS);
		expect(off).toMatchObject({ ok: true, output: '{"unexpected":"off"}', schemaValid: false });
		if (!off.ok) throw new Error(off.error);
		expect(off.schemaErrors).toMatch(/must NOT have additional properties|required/);

		const [reasoned] = await tryModels(db, TEST_SECRET, target, [modelId], 'why', {
			...SETTINGS,
			reasoning: true
		});
		expect(reasoned).toMatchObject({
			ok: true,
			output: '{"answer":"output answer why"}',
			reasoning: 'reasoning why',
			schemaValid: true
		});
	});

	it('asks two models at once and shows each answer beside the other', async () => {
		const { db, target, modelId, providerId, standin, seen } = await setup({}, 150);
		const student = await addModel(db, providerId, {
			name: 'student-small',
			inputPricePerMTok: 0.5,
			outputPricePerMTok: 1
		});
		const results = await tryModels(
			db,
			TEST_SECRET,
			target,
			[modelId, student.id],
			'Do you ship to Norway?',
			SETTINGS
		);

		expect(standin.stats.maxInFlight).toBe(2);
		expect(seen.map((r) => r.model).sort()).toEqual(['student-small', 'teacher-large']);
		expect(results.map((r) => [r.modelId, r.label, r.ok])).toEqual([
			[modelId, 'teacher-large (Stand-in)', true],
			[student.id, 'student-small (Stand-in)', true]
		]);
		const [teacher, small] = results;
		if (!teacher.ok || !small.ok) throw new Error('both models should answer');
		expect(small.output).toBe('Answer to: Do you ship to Norway?');
		expect(small.cost).toBeCloseTo((small.inputTokens * 0.5 + small.outputTokens) / 1e6, 12);
		expect(teacher.cost).toBeGreaterThan(small.cost);
		expect(results.every((r) => r.latencyMs >= 140)).toBe(true);
	});

	it('reports a provider’s failure as a message for that model while the others answer', async () => {
		const { db, target, modelId, providerId, standin } = await setup();
		const wrongKey = await createProvider(db, TEST_SECRET, {
			name: 'Wrong key',
			baseUrl: standin.url,
			apiKey: 'sk-wrong',
			requestsPerMinute: null,
			tokensPerMinute: null
		});
		const refused = await addModel(db, wrongKey.id, {
			name: 'teacher-large',
			inputPricePerMTok: 1,
			outputPricePerMTok: 4
		});
		const unknown = await addModel(db, providerId, {
			name: 'no-such-model',
			inputPricePerMTok: 1,
			outputPricePerMTok: 4
		});
		const removed = await addModel(db, providerId, {
			name: 'student-small',
			inputPricePerMTok: 1,
			outputPricePerMTok: 4
		});
		expect(await deleteModel(db, providerId, removed.id)).toEqual({ ok: true });

		const results = await tryModels(
			db,
			TEST_SECRET,
			target,
			[refused.id, modelId, unknown.id, removed.id],
			'Hello?',
			SETTINGS
		);
		expect(results.map((r) => r.ok)).toEqual([false, true, false, false]);
		const [wrong, answered, notKnown, gone] = results;
		expect(answered).toMatchObject({ output: 'Answer to: Hello?' });
		expect(wrong).toMatchObject({ label: 'teacher-large (Wrong key)' });
		if (wrong.ok || notKnown.ok || gone.ok) throw new Error('these models should fail');
		expect(wrong.error).toMatch(/^The provider refused the API key \(401\)/);
		expect(notKnown.error).toMatch(/does not know this model.*no-such-model/);
		expect(gone.error).toBe('This model was removed; reload the page.');
		for (const message of [wrong.error, notKnown.error, gone.error]) {
			expect(message).not.toMatch(/\bat \S+ \(\S+:\d+:\d+\)|Error:/);
		}
	});

	it('builds the same request a distillation job sends, few-shot examples included', async () => {
		const { db, admin, target, modelId, seen } = await setup({
			outputKind: 'json',
			outputSchema: ANSWER_SCHEMA
		});
		await importRows(
			db,
			target,
			Array.from({ length: 12 }, (_, i) => ({
				input: `earlier question ${i + 1}`,
				output: { answer: `earlier answer ${i + 1}` }
			}))
		);
		await acceptAll(db, target, admin.id);
		const settings = { temperature: 0.2, maxTokens: null, fewShot: 2, reasoning: true };

		runner = new JobRunner(db, { key: TEST_SECRET, pollMs: 50 });
		await runner.start();
		const jobId = await startJob(db, target, admin.id, [modelId], ['the same question'], settings);
		runner.wake();
		await jobReaches(db, jobId, ['done']);
		const fromJob = seen.find((r) => r.input === 'the same question')!;
		seen.length = 0;

		const [result] = await tryModels(
			db,
			TEST_SECRET,
			target,
			[modelId],
			'the same question',
			settings
		);
		expect(result.ok).toBe(true);
		expect(seen).toHaveLength(1);
		expect(seen[0].messages).toEqual(fromJob.messages);
		// System, two few-shot pairs with their answers in the reasoning wrapper, then the input.
		expect(fromJob.messages).toHaveLength(6);
		const preview = await promptPreview(db, target, settings);
		expect(preview.system).toBe(fromJob.messages[0].content);
		expect(preview.examples).toHaveLength(2);
		expect(preview.examples[0].output).toMatch(/^\{"reasoning":"","output":\{"answer":"earlier/);
		expect(preview.examples.flatMap((e) => [e.input, e.output])).toEqual(
			fromJob.messages.slice(1, -1).map((m) => m.content)
		);
	});
});

describe('the playground form', () => {
	it('refuses a bad input for the project’s input rules before any model is asked', async () => {
		const db = await testDb();
		const admin = await makeUser(db, 'admin');
		const target = await makeProject(db, admin.id, {
			inputKind: 'json',
			inputSchema: QUESTION_SCHEMA
		});
		const form = playgroundSchema(target);
		const fields = { modelIds: ['1'], temperature: '', maxTokens: '', fewShot: '0', reasoning: '' };
		const errorsOf = (changes: Record<string, unknown>) => {
			const parsed = form.safeParse({ ...fields, input: '{"question": "q"}', ...changes });
			return parsed.success ? {} : fieldErrors(parsed.error);
		};

		expect(errorsOf({})).toEqual({});
		expect(errorsOf({ input: '  \n ' })).toEqual({ input: ['Type an input to try.'] });
		expect(errorsOf({ input: '{"question": ' }).input?.[0]).toMatch(
			/^This project’s inputs are JSON, and this is not valid JSON: /
		);
		expect(errorsOf({ input: '{"asked": "q"}' }).input?.[0]).toMatch(
			/^The input fails the project’s schema: .*question/
		);
		expect(errorsOf({ modelIds: [] })).toEqual({ modelIds: ['Choose at least one model.'] });
		expect(errorsOf({ modelIds: ['1', '2', '3', '4', '5'] })).toEqual({
			modelIds: ['Choose at most 4 models at once.']
		});
		expect(Object.keys(errorsOf({ temperature: '2.5', maxTokens: '0' })).sort()).toEqual([
			'maxTokens',
			'temperature'
		]);
	});
});
