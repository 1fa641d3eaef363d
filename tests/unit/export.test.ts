import { parse } from 'csv-parse/sync';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import {
	CSV_HEADER,
	chatTokens,
	checkOpenAiLines,
	csvHeader,
	exportFilename,
	jsonLine,
	lineFor,
	preferenceLine,
	textTokens
} from '$lib/server/datasets/export';
import { encode } from 'gpt-tokenizer';

const row = {
	exampleId: 7,
	revisionId: 12,
	split: 'train' as const,
	input: 'Can I return shoes?',
	output: 'Yes, within 60 days.',
	reasoning: 'The policy says 60 days.',
	parentRevisionId: 11,
	authorKind: 'user' as const
};
const SYSTEM = 'Answer briefly.';

describe('each format’s line', () => {
	it('OpenAI chat and Hugging Face messages', () => {
		const expected =
			'{"messages":[{"role":"system","content":"Answer briefly."},{"role":"user","content":"Can I return shoes?"},{"role":"assistant","content":"Yes, within 60 days."}]}';
		expect(lineFor('openai', SYSTEM, row, false)).toBe(expected);
		expect(lineFor('hf_messages', SYSTEM, row, false)).toBe(expected);
		// No instruction, no system message.
		expect(
			JSON.parse(lineFor('openai', '', row, false)).messages.map((m: { role: string }) => m.role)
		).toEqual(['user', 'assistant']);
	});

	it('with reasoning, the assistant thinks first', () => {
		expect(JSON.parse(lineFor('openai', SYSTEM, row, true)).messages[2].content).toBe(
			'<think>\nThe policy says 60 days.\n</think>\n\nYes, within 60 days.'
		);
	});

	it('Alpaca, ShareGPT and CSV', () => {
		expect(lineFor('alpaca', SYSTEM, row, false)).toBe(
			'{"instruction":"Can I return shoes?","input":"","output":"Yes, within 60 days.","system":"Answer briefly."}'
		);
		expect(lineFor('sharegpt', SYSTEM, row, false)).toBe(
			'{"conversations":[{"from":"system","value":"Answer briefly."},{"from":"human","value":"Can I return shoes?"},{"from":"gpt","value":"Yes, within 60 days."}]}'
		);
		expect(lineFor('csv', SYSTEM, { ...row, input: 'Shoes, "worn"?\nTwice' }, false)).toBe(
			'7,12,train,"Shoes, ""worn""?\nTwice","Yes, within 60 days."'
		);
	});

	it('OpenAI preference (DPO): the repair preferred over what it repaired', () => {
		expect(preferenceLine(SYSTEM, row, { output: 'No.', reasoning: null }, false)).toBe(
			'{"input":{"messages":[{"role":"system","content":"Answer briefly."},{"role":"user","content":"Can I return shoes?"}]},"preferred_output":[{"role":"assistant","content":"Yes, within 60 days."}],"non_preferred_output":[{"role":"assistant","content":"No."}]}'
		);
	});

	it('names files by dataset, split and format', () => {
		expect(
			exportFilename('Support v3!', { format: 'openai', split: 'val', reasoning: false })
		).toBe('support-v3-val-openai.jsonl');
		expect(exportFilename('x', { format: 'csv', split: 'test', reasoning: false })).toBe(
			'x-test-csv.csv'
		);
	});
});

describe('the OpenAI format check catches each kind of error', () => {
	const good = lineFor('openai', SYSTEM, row, false);
	const cases: [string, string][] = [
		['data_type', '[1, 2]'],
		['data_type', '{not json'],
		['missing_messages_list', '{"prompt": "x"}'],
		[
			'message_missing_key',
			'{"messages": [{"role": "user"}, {"role": "assistant", "content": "a"}]}'
		],
		[
			'message_unrecognized_key',
			'{"messages": [{"role": "user", "content": "q", "mood": "x"}, {"role": "assistant", "content": "a"}]}'
		],
		[
			'unrecognized_role',
			'{"messages": [{"role": "robot", "content": "q"}, {"role": "assistant", "content": "a"}]}'
		],
		[
			'missing_content',
			'{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}'
		],
		['example_missing_assistant_message', '{"messages": [{"role": "user", "content": "q"}]}']
	];
	for (const [problem, line] of cases) {
		it(problem, async () => {
			const check = await checkOpenAiLines([good, line]);
			expect(check.problems[problem as keyof typeof check.problems]).toBe(1);
			expect(check.samples).toEqual([{ line: 2, problem }]);
		});
	}

	it('a clean file has no problems, and its tokens are counted as OpenAI counts them', async () => {
		const check = await checkOpenAiLines([good, good]);
		expect(Object.values(check.problems)).toEqual(Array(10).fill(0));
		// 3 for the reply's priming, 3 per message, each role (one token) and the text's own
		// tokens (o200k_base).
		expect(check.tokens.longest).toBe(check.tokens.total / 2);
		expect(check.tokens.longest).toBe(3 + 3 * 3 + 3 * 1 + 3 + 5 + 7);
	});
});

/** A CSV file's records as a standard parser reads them, by column name. */
const csvRows = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

describe('CSV cells parse back to what is stored', () => {
	const parsed = (line: string) => csvRows(`${CSV_HEADER}\n${line}\n`)[0];

	it('keeps every byte of every cell, trailing whitespace of the last column included', () => {
		for (const output of ['ends in spaces   ', 'a tab\t', 'a newline\n', 'CRLF\r\n', ' lead', '']) {
			const input = 'Shoes, "worn"?\r\nTwice  ';
			const cells = parsed(lineFor('csv', SYSTEM, { ...row, input, output }, false));
			expect(cells).toEqual({
				example_id: '7',
				revision_id: '12',
				split: 'train',
				input,
				output
			});
		}
	});

	it('neutralises what a spreadsheet would run: a quote before it, and the cell quoted', () => {
		for (const formula of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '＝1+1']) {
			const line = lineFor('csv', SYSTEM, { ...row, input: formula, output: formula }, false);
			expect(line).toContain(`"'${formula}"`);
			const cells = parsed(line);
			expect([cells.input, cells.output]).toEqual([`'${formula}`, `'${formula}`]);
		}
		// Only a cell's first character counts.
		expect(parsed(lineFor('csv', SYSTEM, { ...row, output: 'a=b' }, false)).output).toBe('a=b');
	});

	it('the README’s rule undoes it exactly: drop the first quote of a cell that starts with one', () => {
		const undo = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);
		for (const stored of ['=1', "'=1", "'quoted'", "''", '-', 'plain', ' =1']) {
			const cells = parsed(
				lineFor('csv', SYSTEM, { ...row, input: stored, output: stored }, false)
			);
			expect([undo(cells.input), undo(cells.output)]).toEqual([stored, stored]);
		}
	});

	it('with reasoning, a column of its own: the output cell stays the output', () => {
		const cells = csvRows(`${csvHeader(true)}\n${lineFor('csv', SYSTEM, row, true)}\n`)[0];
		expect(cells.output).toBe(row.output);
		expect(cells.reasoning).toBe(row.reasoning);
	});
});

describe('JSONL lines never split on a line-breaking character', () => {
	const tricky = { ...row, input: 'a\u2028b\u2029c\u0085d', output: 'e\u2028f' };
	for (const format of ['openai', 'hf_messages', 'alpaca', 'sharegpt'] as const) {
		it(format, () => {
			const line = lineFor(format, SYSTEM, tricky, false);
			expect(line).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
			expect(line).toContain('\\u2028');
			expect(JSON.stringify(JSON.parse(line))).toContain(tricky.input);
		});
	}
	it('openai_dpo', () => {
		const line = preferenceLine(SYSTEM, tricky, { output: 'x\u2029y', reasoning: null }, false);
		expect(line).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
		expect(JSON.parse(line).non_preferred_output[0].content).toBe('x\u2029y');
	});
	it('jsonLine escapes them and nothing else', () => {
		expect(jsonLine({ a: '\u2028\u2029\u0085é' })).toBe('{"a":"\\u2028\\u2029\\u0085é"}');
	});
});

describe('Alpaca', () => {
	it('carries the system prompt in "system", the input as the instruction', () => {
		expect(JSON.parse(lineFor('alpaca', SYSTEM, row, false))).toEqual({
			instruction: 'Can I return shoes?',
			input: '',
			output: 'Yes, within 60 days.',
			system: 'Answer briefly.'
		});
	});
});

describe('reasoning', () => {
	it('the file name says whether reasoning is in', () => {
		expect(exportFilename('Support v3!', { format: 'openai', split: 'val', reasoning: true })).toBe(
			'support-v3-val-openai-reasoning.jsonl'
		);
		expect(exportFilename('x', { format: 'csv', split: 'test', reasoning: true })).toBe(
			'x-test-csv-reasoning.csv'
		);
	});

	it('DPO: with reasoning, each side thinks as it did; without, neither does', () => {
		const rejected = { output: 'No.', reasoning: 'Returns are never allowed.' };
		const sides = (reasoning: boolean) => {
			const line = JSON.parse(preferenceLine(SYSTEM, row, rejected, reasoning));
			return [line.preferred_output[0].content, line.non_preferred_output[0].content];
		};
		expect(sides(true)).toEqual([
			'<think>\nThe policy says 60 days.\n</think>\n\nYes, within 60 days.',
			'<think>\nReturns are never allowed.\n</think>\n\nNo.'
		]);
		expect(sides(false)).toEqual(['Yes, within 60 days.', 'No.']);
	});
});

describe('token counts', () => {
	// The example of OpenAI's cookbook "How to count tokens with tiktoken", section 6
	// (github.com/openai/openai-cookbook, examples/How_to_count_tokens_with_tiktoken.ipynb): the
	// OpenAI API billed 124 prompt tokens for it on gpt-4o and gpt-4o-mini (o200k_base), and 129
	// on gpt-4 and gpt-3.5-turbo (cl100k_base).
	const cookbookMessages = [
		{
			role: 'system',
			content:
				'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.'
		},
		{
			role: 'system',
			name: 'example_user',
			content: 'New synergies will help drive top-line growth.'
		},
		{
			role: 'system',
			name: 'example_assistant',
			content: 'Things working well together will increase revenue.'
		},
		{
			role: 'system',
			name: 'example_user',
			content:
				"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."
		},
		{
			role: 'system',
			name: 'example_assistant',
			content: "Let's talk later when we're less busy about how to do better."
		},
		{
			role: 'user',
			content:
				"This late pivot means we don't have time to boil the ocean for the client deliverable."
		}
	];

	it('match what the OpenAI API billed for the cookbook’s example', async () => {
		const check = await checkOpenAiLines([JSON.stringify({ messages: cookbookMessages })]);
		expect(check.tokens.total).toBe(124);
		expect(chatTokens(cookbookMessages)).toBe(124);
		expect(chatTokens(cookbookMessages, encodeCl100k)).toBe(129);
	});

	it('count a long run without spaces in pieces, close to the whole count, and without stalling', () => {
		// Counted whole, a run this long takes quadratic time: tens of seconds at 200,000 characters.
		const run = 'ab'.repeat(10_000);
		const text = `Before the run. ${run} After the run, ${' '.repeat(3000)}the end.`;
		const whole = encode(text).length;
		const pieces = textTokens(text);
		expect(Math.abs(pieces - whole)).toBeLessThanOrEqual(text.length / 1000);
		expect(textTokens('short text')).toBe(encode('short text').length);
		// A megabyte of one letter, as a pasted blob would be: 8 letters a token either way.
		expect(textTokens('x'.repeat(1_000_000))).toBe(125_000);
		expect(chatTokens([{ role: 'assistant', content: 'x'.repeat(1_000_000) }])).toBe(
			3 + 3 + 1 + 125_000
		);
	});
});
