import { describe, expect, it } from 'vitest';
import {
	checkOpenAiLines,
	exportFilename,
	lineFor,
	preferenceLine
} from '$lib/server/datasets/export';

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
			'{"instruction":"Answer briefly.","input":"Can I return shoes?","output":"Yes, within 60 days."}'
		);
		expect(lineFor('sharegpt', SYSTEM, row, false)).toBe(
			'{"conversations":[{"from":"system","value":"Answer briefly."},{"from":"human","value":"Can I return shoes?"},{"from":"gpt","value":"Yes, within 60 days."}]}'
		);
		expect(lineFor('csv', SYSTEM, { ...row, input: 'Shoes, "worn"?\nTwice' }, false)).toBe(
			'7,12,train,"Shoes, ""worn""?\nTwice","Yes, within 60 days."'
		);
	});

	it('OpenAI preference (DPO): the repair preferred over what it repaired', () => {
		expect(preferenceLine(SYSTEM, row, 'No.', false)).toBe(
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
		it(problem, () => {
			const check = checkOpenAiLines([good, line]);
			expect(check.problems[problem as keyof typeof check.problems]).toBe(1);
			expect(check.samples).toEqual([{ line: 2, problem }]);
		});
	}

	it('a clean file has no problems, and its tokens are counted as OpenAI counts them', () => {
		const check = checkOpenAiLines([good, good]);
		expect(Object.values(check.problems)).toEqual([0, 0, 0, 0, 0, 0, 0]);
		// 3 for the reply's priming, 3 per message, and the text's own tokens (o200k_base).
		expect(check.tokens.longest).toBe(check.tokens.total / 2);
		expect(check.tokens.longest).toBe(3 + 3 * 3 + 3 + 5 + 7);
	});
});
