import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import { eq } from 'drizzle-orm';
import { revision, type Project } from '$lib/server/db/schema';
import { freezeDataset } from '$lib/server/datasets';
import { checkOpenAiLines, exportChunks, linesOf } from '$lib/server/datasets/export';
import { importExamples } from '$lib/server/import';
import { addMember, updateProject } from '$lib/server/projects';
import { claimNext } from '$lib/server/queue';
import { submitReview } from '$lib/server/reviews';
import { datasetFilterSchema } from '$lib/schemas/dataset';
import type { ExportFormat } from '$lib/schemas/dataset';
import { readOpenAiThread, type Thread } from '$lib/conversations';
import { mulberry32 } from '$lib/random';
import {
	examplesOf,
	jsonl,
	linesSource,
	makeProject,
	makeUser,
	projectInput,
	reviewSubmission,
	T0
} from '../support/fixtures';
import { testDb } from '../support/database';
import { conversation, lookup, weather } from '../support/threads';

const ALL = datasetFilterSchema.parse({});

async function conversationProject(db: Db, turns: 'last' | 'each' = 'last', instruction = '') {
	const admin = await makeUser(db, 'admin');
	const target = await makeProject(db, admin.id, {
		name: 'Support threads',
		instruction,
		inputKind: 'conversation',
		outputKind: 'turn',
		conversationTurns: turns
	});
	return { admin, target };
}

async function importText(db: Db, target: Project, text: string, userId: string) {
	return await importExamples(
		db,
		target,
		{ source: linesSource(text), format: 'jsonl', filename: 'threads.jsonl', userId },
		T0
	);
}

/** Accepts, unchanged, every example the queue serves. */
async function acceptAll(db: Db, projectId: number, userId: string) {
	for (let claimed = await claimNext(db, projectId, userId, T0); claimed;) {
		const saved = await submitReview(db, projectId, userId, reviewSubmission(claimed), T0);
		if (!saved.ok) throw new Error(saved.message);
		claimed = await claimNext(db, projectId, userId, T0);
	}
}

async function currentTurn(db: Db, revisionId: number) {
	const [found] = await db.select().from(revision).where(eq(revision.id, revisionId));
	return JSON.parse(found.output!) as { tool_calls?: unknown; content?: unknown };
}

async function exported(db: Db, target: Project, datasetId: number, format: ExportFormat) {
	const lines: string[] = [];
	for (const split of ['train', 'val', 'test'] as const) {
		for await (const line of linesOf(
			exportChunks(db, target, datasetId, { format, split, reasoning: false })
		)) {
			lines.push(line);
		}
	}
	return lines;
}

/** A JSON value with its keys in one order, so two values compare as text. */
function canonical(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === 'object' && !Array.isArray(v)
			? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
			: v
	);
}

const ask = (text: string) => ({ role: 'user', content: text });
const say = (text: string) => ({ role: 'assistant', content: text });
const calls = (...list: [string, string, object][]) => ({
	role: 'assistant',
	content: null,
	tool_calls: list.map(([id, name, args]) => ({
		id,
		type: 'function',
		function: { name, arguments: JSON.stringify(args) }
	}))
});
const result = (id: string, content: string) => ({ role: 'tool', tool_call_id: id, content });

describe('conversation import', () => {
	it('takes OpenAI lines with tools, parallel calls and history, one example per final turn', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const line = {
			messages: [
				{ role: 'system', content: 'You help with orders.' },
				ask('Where is order 7, and the weather in Oslo?'),
				calls(['a', 'lookup_order', { order: 7 }], ['b', 'get_weather', { city: 'Oslo' }]),
				result('a', '{"status": "shipped"}'),
				result('b', '{"sky": "clear"}'),
				{ ...say('Order 7 has shipped; Oslo is clear.'), weight: 0 },
				ask('And order 8?'),
				calls(['c', 'lookup_order', { order: 8 }])
			],
			tools: [weather, lookup],
			parallel_tool_calls: true
		};
		const imported = await importText(db, target, jsonl([line]), admin.id);
		expect(imported).toMatchObject({ ok: true, imported: 1 });
		const [only] = await examplesOf(db, target.id);
		const input = JSON.parse(only.input) as Thread;
		expect(input.messages).toEqual(line.messages.slice(0, -1));
		expect(input.tools).toEqual([weather, lookup]);
		expect(input.parallel_tool_calls).toBe(true);
		expect(only.conversationKey).toMatch(/^[0-9a-f]{64}$/);
	});

	it('takes Hugging Face and ShareGPT lines as the same threads, and each assistant turn when asked', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db, 'each');
		const huggingFace = {
			messages: [
				ask('Weather in Lyon?'),
				{
					role: 'assistant',
					tool_calls: [
						{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Lyon' } } }
					]
				},
				{ role: 'tool', tool_call_id: 'call_1', content: 'rain' },
				say('It rains in Lyon.')
			],
			tools: [weather.function]
		};
		const shareGpt = {
			system: 'Be brief.',
			conversations: [
				{ from: 'human', value: 'Order 3?' },
				{ from: 'function_call', value: '{"name": "lookup_order", "arguments": {"order": 3}}' },
				{ from: 'observation', value: 'lost' },
				{ from: 'gpt', value: 'Order 3 is lost, sorry.' }
			],
			tools: JSON.stringify([lookup.function])
		};
		const imported = await importText(db, target, jsonl([huggingFace, shareGpt]), admin.id);
		// Each line has two assistant turns: the call and the answer.
		expect(imported).toMatchObject({ ok: true, imported: 4 });
		const rows = await examplesOf(db, target.id);
		const parsed = await Promise.all(rows.map((r) => currentTurn(db, r.currentRevisionId!)));
		expect(parsed[0].tool_calls).toEqual([
			{
				id: 'call_1',
				type: 'function',
				function: { name: 'get_weather', arguments: '{"city":"Lyon"}' }
			}
		]);
		expect(parsed[1].content).toBe('It rains in Lyon.');
		expect(JSON.parse(rows[1].input).messages).toHaveLength(3);
		expect(parsed[3].content).toBe('Order 3 is lost, sorry.');
		expect(JSON.parse(rows[3].input).messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
		expect(new Set(rows.slice(0, 2).map((r) => r.conversationKey)).size).toBe(1);
		expect(rows[0].conversationKey).not.toBe(rows[2].conversationKey);
	});

	it('takes parallel calls and several rounds in the Hugging Face and ShareGPT shapes too', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const huggingFace = {
			messages: [
				ask('Weather in Oslo and Lyon?'),
				{
					role: 'assistant',
					tool_calls: [
						{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
						{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Lyon' } } }
					]
				},
				{ role: 'tool', tool_call_id: 'call_1', content: 'snow' },
				{ role: 'tool', tool_call_id: 'call_2', content: 'rain' },
				say('Snow in Oslo, rain in Lyon.'),
				ask('And order 9?'),
				say('Let me look.')
			],
			tools: [weather.function, lookup.function]
		};
		const shareGpt = {
			conversations: [
				{ from: 'human', value: 'Orders 1 and 2?' },
				{
					from: 'function_call',
					value: JSON.stringify([
						{ name: 'lookup_order', arguments: { order: 1 } },
						{ name: 'lookup_order', arguments: { order: 2 } }
					])
				},
				{ from: 'observation', value: 'shipped' },
				{ from: 'observation', value: 'packed' },
				{ from: 'gpt', value: 'One shipped, two packed.' },
				{ from: 'human', value: 'Thanks' },
				{ from: 'gpt', value: 'Welcome.' }
			],
			tools: JSON.stringify([lookup.function])
		};
		expect(await importText(db, target, jsonl([huggingFace, shareGpt]), admin.id)).toMatchObject({
			ok: true,
			imported: 2
		});
		const [hf, sharegpt] = (await examplesOf(db, target.id)).map(
			(r) => JSON.parse(r.input) as Thread
		);
		expect(hf.messages[1].tool_calls!.map((c) => c.function.arguments)).toEqual([
			'{"city":"Oslo"}',
			'{"city":"Lyon"}'
		]);
		expect(hf.messages).toHaveLength(6);
		expect(sharegpt.messages[1].tool_calls!.map((c) => c.id)).toEqual(['call_1', 'call_2']);
		expect(sharegpt.messages.slice(2, 4).map((m) => m.tool_call_id)).toEqual(['call_1', 'call_2']);
		expect(sharegpt.messages).toHaveLength(6);
	});

	it('refuses a bad file line by line, every kind of thread error, and imports nothing', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const good = { messages: [ask('Hi'), say('Hello')] };
		const lines = [
			good,
			{ messages: [ask('Hi'), say('Hello'), { role: 'system', content: 'Be kind.' }] },
			{ messages: [ask('Hi'), result('x', 'orphan'), say('ok')], tools: [weather] },
			{ messages: [ask('Hi'), calls(['a', 'send_mail', {}])], tools: [weather] },
			{ messages: [ask('Hi'), calls(['a', 'get_weather', { unit: 'k' }])], tools: [weather] },
			{
				messages: [
					ask('Hi'),
					{
						role: 'assistant',
						content: null,
						tool_calls: [
							{ id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{city' } }
						]
					}
				],
				tools: [weather]
			},
			{ messages: [{ role: 'robot', content: 'beep' }, say('ok')] },
			{ conversations: [{ from: 'alien', value: 'x' }] },
			good
		];
		const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n{not json\n';
		const refused = await importText(db, target, text, admin.id);
		expect(refused.ok).toBe(false);
		if (refused.ok) return;
		expect(refused.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 10]);
		const reasons = refused.errors.map((e) => e.message);
		expect(reasons[0]).toContain('ends with a system message');
		expect(reasons[1]).toContain('tool result for “x”, which no earlier tool call made');
		expect(reasons[2]).toContain('calls “send_mail”, which is not among the thread’s tools');
		expect(reasons[3]).toContain('fail its schema');
		expect(reasons[4]).toContain('are not JSON');
		expect(reasons[5]).toContain('unknown role "robot"');
		expect(reasons[6]).toContain('unknown role “alien”');
		expect(reasons[7]).toContain('invalid JSON');
		expect(await examplesOf(db, target.id)).toHaveLength(0);
	});

	it('refuses a CSV file for a conversation project, saying why', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const refused = await importExamples(
			db,
			target,
			{
				source: linesSource('input,output\nHi,Hello\n'),
				format: 'csv',
				filename: 'rows.csv',
				userId: admin.id
			},
			T0
		);
		expect(refused.ok).toBe(false);
		expect(refused.ok ? '' : refused.errors[0].message).toContain(
			'conversations, which come as JSONL'
		);
	});
});

describe('conversation splits', () => {
	it('put every turn of one conversation in one split, whatever order they arrive in', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db, 'each');
		const threads = Array.from({ length: 60 }, (_, i) => conversation(1000 + i));
		// First each thread cut short after its first assistant turn, in a shuffled order …
		const random = mulberry32(5);
		const shuffled = [...threads].sort(() => random() - 0.5);
		const firstTurns = shuffled.map((t) => {
			const end = t.messages.findIndex((m) => m.role === 'assistant');
			return { ...t, messages: t.messages.slice(0, end + 1) };
		});
		expect(await importText(db, target, jsonl(firstTurns), admin.id)).toMatchObject({ ok: true });
		// … then, after the ratios changed, the whole threads.
		await updateProject(
			db,
			target.id,
			projectInput({
				inputKind: 'conversation',
				outputKind: 'turn',
				conversationTurns: 'each',
				splitTrain: 34,
				splitVal: 33,
				splitTest: 33
			}),
			T0
		);
		expect(await importText(db, target, jsonl(threads), admin.id)).toMatchObject({ ok: true });
		const rows = await examplesOf(db, target.id);
		const splits = new Map<string, Set<string>>();
		for (const row of rows) {
			const set = splits.get(row.conversationKey!) ?? new Set();
			set.add(row.split);
			splits.set(row.conversationKey!, set);
		}
		expect(splits.size).toBe(60);
		for (const set of splits.values()) expect(set.size).toBe(1);
		expect(rows.length).toBeGreaterThan(120);
		expect(new Set(rows.map((r) => r.split)).size).toBeGreaterThan(1);
	});
});

describe('conversation export', () => {
	it('gives back the same JSON values line for line: import, accept unchanged, export', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const rater = await makeUser(db, 'annotator');
		await addMember(db, target.id, rater.id);
		const threads = Array.from({ length: 200 }, (_, i) => conversation(i + 1));
		for (const thread of threads) expect(readOpenAiThread(thread).ok).toBe(true);
		expect(await importText(db, target, jsonl(threads), admin.id)).toMatchObject({
			ok: true,
			imported: 200
		});
		await acceptAll(db, target.id, rater.id);
		const frozen = await freezeDataset(db, target, 'threads', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const lines = await exported(db, target, frozen.datasetId, 'openai');
		expect(lines).toHaveLength(200);
		expect(lines.map((l) => canonical(JSON.parse(l))).sort()).toEqual(
			threads.map((t) => canonical(JSON.parse(JSON.stringify(t)))).sort()
		);
		const check = await checkOpenAiLines(lines);
		expect(check.samples).toEqual([]);
	});

	it('weighs earlier turns nobody accepted at 0, and writes the Hugging Face and ShareGPT shapes', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db, 'last', 'Answer as the shop.');
		const rater = await makeUser(db, 'annotator');
		await addMember(db, target.id, rater.id);
		const line = {
			messages: [
				ask('Order 4?'),
				calls(['a', 'lookup_order', { order: 4 }]),
				result('a', 'packed'),
				say('Order 4 is packed.'),
				ask('Thanks')
			],
			tools: [lookup]
		};
		const withAnswer = { ...line, messages: [...line.messages, say('You are welcome.')] };
		expect(await importText(db, target, jsonl([withAnswer]), admin.id)).toMatchObject({ ok: true });
		await acceptAll(db, target.id, rater.id);
		const frozen = await freezeDataset(db, target, 'one', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const [openAi] = (await exported(db, target, frozen.datasetId, 'openai')).map((l) =>
			JSON.parse(l)
		);
		expect(openAi.messages[0]).toEqual({ role: 'system', content: 'Answer as the shop.' });
		expect(openAi.messages[2].weight).toBe(0);
		expect(openAi.messages[4]).toEqual({ ...say('Order 4 is packed.'), weight: 0 });
		expect(openAi.messages[6]).toEqual(say('You are welcome.'));
		const [hf] = (await exported(db, target, frozen.datasetId, 'hf_messages')).map((l) =>
			JSON.parse(l)
		);
		expect(hf.messages[2].tool_calls[0].function.arguments).toEqual({ order: 4 });
		expect(hf.tools).toEqual([lookup]);
		const [shareGpt] = (await exported(db, target, frozen.datasetId, 'sharegpt')).map((l) =>
			JSON.parse(l)
		);
		expect(shareGpt.conversations.map((t: { from: string }) => t.from)).toEqual([
			'human',
			'function_call',
			'observation',
			'gpt',
			'human',
			'gpt'
		]);
		expect(shareGpt.system).toBe('Answer as the shop.');
		expect(await exported(db, target, frozen.datasetId, 'alpaca')).toEqual([]);
	});

	it('writes a repaired turn as a DPO pair with the thread as input', async () => {
		const db = await testDb();
		const { admin, target } = await conversationProject(db);
		const repairer = await makeUser(db, 'annotator');
		const checker = await makeUser(db, 'annotator');
		await addMember(db, target.id, repairer.id);
		await addMember(db, target.id, checker.id);
		const line = {
			messages: [ask('Order 5?'), calls(['a', 'lookup_order', { order: 6 }])],
			tools: [lookup]
		};
		expect(await importText(db, target, jsonl([line]), admin.id)).toMatchObject({ ok: true });
		const claimed = (await claimNext(db, target.id, repairer.id, T0))!;
		const fixed = calls(['a', 'lookup_order', { order: 5 }]);
		const refused = await submitReview(
			db,
			target.id,
			repairer.id,
			reviewSubmission(claimed, {
				decision: 'repair',
				rating: 2,
				output: JSON.stringify(calls(['a', 'lookup_order', { order: 'five' }]))
			}),
			T0
		);
		expect(refused).toMatchObject({ ok: false, field: 'output' });
		expect(refused.ok ? '' : refused.message).toContain('fail its schema');
		const saved = await submitReview(
			db,
			target.id,
			repairer.id,
			reviewSubmission(claimed, { decision: 'repair', rating: 2, output: JSON.stringify(fixed) }),
			T0
		);
		expect(saved.ok).toBe(true);
		await acceptAll(db, target.id, checker.id);
		const frozen = await freezeDataset(db, target, 'pairs', ALL, admin.id);
		if (!frozen.ok) throw new Error(frozen.message);
		const [pair] = (await exported(db, target, frozen.datasetId, 'openai_dpo')).map((l) =>
			JSON.parse(l)
		);
		expect(pair).toEqual({
			input: { messages: [ask('Order 5?')], tools: [lookup] },
			preferred_output: [fixed],
			non_preferred_output: [line.messages[1]]
		});
	});

	it('finds tool call errors in an OpenAI file', async () => {
		const lines = [
			{
				messages: [ask('a'), calls(['x', 'nope', {}]), result('x', '1'), say('b')],
				tools: [weather]
			},
			{
				messages: [
					ask('a'),
					calls(['x', 'get_weather', { unit: 'k' }]),
					result('x', '1'),
					say('b')
				],
				tools: [weather]
			},
			{
				messages: [ask('a'), calls(['x', 'get_weather', { city: 'Oslo' }]), say('b')],
				tools: [weather]
			},
			{ messages: [ask('a'), calls(['x', 'get_weather', { city: 'Oslo' }])], tools: [weather] }
		].map((l) => JSON.stringify(l));
		const check = await checkOpenAiLines(lines);
		expect(check.problems).toMatchObject({
			tool_undefined: 1,
			tool_arguments_invalid: 1,
			tool_call_unanswered: 1,
			message_unrecognized_key: 0
		});
		expect(check.samples.map((s) => s.line)).toEqual([1, 2, 3]);
	});
});
