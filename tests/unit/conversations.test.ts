import { describe, expect, it } from 'vitest';
import {
	conversationOpening,
	huggingFaceLine,
	messageText,
	shareGptLine,
	readHuggingFaceThread,
	readOpenAiThread,
	readShareGptThread,
	turnOf,
	turnsToReview,
	type Thread
} from '$lib/conversations';
import { conversation, weather } from '../support/threads';

describe('conversations', () => {
	it('read 200 varied OpenAI lines and give back the same JSON values, line for line', () => {
		for (let seed = 1; seed <= 200; seed++) {
			const text = JSON.stringify(conversation(seed));
			const read = readOpenAiThread(JSON.parse(text));
			if (!read.ok) throw new Error(`conversation ${seed}: ${read.reason}`);
			const [final] = turnsToReview(read.thread, false);
			expect(
				JSON.parse(JSON.stringify({ ...read.thread, messages: [...final.before, final.turn] }))
			).toEqual(JSON.parse(text));
		}
	});

	it('give one turn per assistant message, each with the thread before it', () => {
		const thread = conversation(7);
		const read = readOpenAiThread(thread);
		if (!read.ok) throw new Error(read.reason);
		const turns = turnsToReview(read.thread, true);
		expect(turns.length).toBe(thread.messages.filter((m) => m.role === 'assistant').length);
		for (const { before, turn } of turns) {
			expect(turn?.role).toBe('assistant');
			expect(thread.messages.indexOf(turn!)).toBe(before.length);
		}
	});

	it('give a thread that ends where an assistant answers its turn still to write', () => {
		const thread = conversation(9);
		const open = {
			...thread,
			messages: [...thread.messages, { role: 'user' as const, content: 'More?' }]
		};
		const read = readOpenAiThread(open, 'either');
		if (!read.ok) throw new Error(read.reason);
		const turns = turnsToReview(read.thread, true);
		expect(turns.at(-1)).toEqual({ before: open.messages, turn: null });
		expect(turns.length).toBe(thread.messages.filter((m) => m.role === 'assistant').length + 1);
		expect(turnsToReview(read.thread, false)).toEqual([{ before: open.messages, turn: null }]);
		const system = readOpenAiThread({ messages: [{ role: 'system', content: 'x' }] }, 'either');
		expect(system.ok ? '' : system.reason).toContain('ends with a system message');
	});

	it('take no turn from a greeting before anyone asked, which has no opening of its own', () => {
		const thread = {
			messages: [
				{ role: 'assistant' as const, content: 'Hello, how can I help?' },
				{ role: 'user' as const, content: 'Order 3?' },
				{ role: 'assistant' as const, content: 'Shipped.' }
			]
		};
		expect(turnsToReview(thread, true).map((t) => t.turn?.content)).toEqual(['Shipped.']);
	});

	it('make a provider’s calls without ids, or with object arguments, into a turn that can be kept', () => {
		const turn = turnOf({
			content: '',
			tool_calls: [
				{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
				{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }
			]
		});
		expect(turn).toEqual({
			role: 'assistant',
			content: null,
			tool_calls: [
				{
					id: 'call_1',
					type: 'function',
					function: { name: 'get_weather', arguments: '{"city":"Oslo"}' }
				},
				{
					id: 'call_2',
					type: 'function',
					function: { name: 'get_weather', arguments: '{"city":"Lyon"}' }
				}
			]
		});
		expect(turnOf({ content: '  ' })).toBeNull();
	});

	it('share one opening for every turn of a conversation, so they share a split', () => {
		const thread = conversation(12);
		const keys = new Set(
			turnsToReview(thread, true).map((t) =>
				conversationOpening({ messages: [...t.before, t.turn!] })
			)
		);
		expect(keys.size).toBe(1);
		expect(conversationOpening(conversation(13))).not.toBe(conversationOpening(thread));
	});

	it('refuse a bad thread with the reason', () => {
		const user = { role: 'user', content: 'Hi' };
		const call = (name: string, args: string, id = 'c1') => ({
			role: 'assistant',
			content: null,
			tool_calls: [{ id, type: 'function', function: { name, arguments: args } }]
		});
		const cases: [unknown, string][] = [
			[
				{ messages: [user] },
				'The thread ends with a user message, not an assistant turn to review.'
			],
			[
				{
					messages: [
						user,
						{ role: 'tool', tool_call_id: 'x', content: '1' },
						{ role: 'assistant', content: 'a' }
					]
				},
				'Message 2 is a tool result for “x”, which no earlier tool call made.'
			],
			[
				{ messages: [user, call('send_mail', '{}')], tools: [weather] },
				'Message 2 calls “send_mail”, which is not among the thread’s tools.'
			],
			[
				{ messages: [user, call('get_weather', '{city:')], tools: [weather] },
				'Message 2: the arguments of “get_weather” are not JSON.'
			],
			[
				{ messages: [user, call('get_weather', '{"unit": "k"}')], tools: [weather] },
				'Message 2: the arguments of “get_weather” fail its schema'
			],
			[{ messages: [{ role: 'robot', content: 'x' }] }, 'Message 1 has an unknown role "robot".'],
			[
				{
					messages: [
						user,
						call('get_weather', '{"city": "Oslo"}'),
						{ role: 'assistant', content: 'Sunny' }
					],
					tools: [weather]
				},
				'Message 3 comes before the result of tool call “c1”.'
			]
		];
		for (const [line, reason] of cases) {
			const read = readOpenAiThread(line);
			expect(read.ok).toBe(false);
			expect(read.ok ? '' : read.reason).toContain(reason);
		}
	});

	it('read the Hugging Face and ShareGPT shapes as the same OpenAI thread', () => {
		const hf = readHuggingFaceThread({
			messages: [
				{ role: 'user', content: 'Weather in Oslo?' },
				{
					role: 'assistant',
					tool_calls: [
						{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Oslo' } } }
					]
				},
				{ role: 'tool', tool_call_id: 'call_1', content: '{"temp": 3}' },
				{ role: 'assistant', content: 'It is 3 °C.' }
			],
			tools: [weather.function]
		});
		if (!hf.ok) throw new Error(hf.reason);
		expect(hf.thread.messages[1].tool_calls).toEqual([
			{
				id: 'call_1',
				type: 'function',
				function: { name: 'get_weather', arguments: '{"city":"Oslo"}' }
			}
		]);
		expect(hf.thread.tools).toEqual([{ type: 'function', function: weather.function }]);

		const sharegpt = readShareGptThread({
			system: 'Be brief.',
			conversations: [
				{ from: 'human', value: 'Weather in Oslo?' },
				{ from: 'function_call', value: '{"name": "get_weather", "arguments": {"city": "Oslo"}}' },
				{ from: 'observation', value: '{"temp": 3}' },
				{ from: 'gpt', value: 'It is 3 °C.' }
			],
			tools: JSON.stringify([weather.function])
		});
		if (!sharegpt.ok) throw new Error(sharegpt.reason);
		expect(sharegpt.thread.messages.map((m) => m.role)).toEqual([
			'system',
			'user',
			'assistant',
			'tool',
			'assistant'
		]);
		expect(sharegpt.thread.messages[3].tool_call_id).toBe(
			sharegpt.thread.messages[2].tool_calls![0].id
		);
		expect(readShareGptThread({ conversations: [{ from: 'alien', value: 'x' }] })).toEqual({
			ok: false,
			reason: 'Turn 1 has an unknown role “alien”.'
		});
	});

	it('write each thread as Hugging Face and ShareGPT lines that read back as the same conversation', () => {
		/** What both shapes keep: roles, texts, the calls' names and arguments, the results. */
		const kept = (thread: Thread) =>
			thread.messages.map((m) => ({
				role: m.role,
				text: m.tool_calls ? '' : messageText(m.content),
				calls: m.tool_calls?.map((c) => [c.function.name, JSON.parse(c.function.arguments)])
			}));
		for (let seed = 1; seed <= 200; seed++) {
			const thread = conversation(seed);
			const hf = readHuggingFaceThread(JSON.parse(JSON.stringify(huggingFaceLine(thread))));
			if (!hf.ok) throw new Error(`conversation ${seed}, Hugging Face: ${hf.reason}`);
			expect(kept(hf.thread)).toEqual(kept(thread));
			expect(hf.thread.messages.map((m) => m.tool_call_id)).toEqual(
				thread.messages.map((m) => m.tool_call_id)
			);
			expect(hf.thread.tools).toEqual(thread.tools);
			const sharegpt = readShareGptThread(JSON.parse(JSON.stringify(shareGptLine(thread))));
			if (!sharegpt.ok) throw new Error(`conversation ${seed}, ShareGPT: ${sharegpt.reason}`);
			expect(kept(sharegpt.thread)).toEqual(kept(thread));
			expect(sharegpt.thread.tools).toEqual(thread.tools);
		}
	});
});
