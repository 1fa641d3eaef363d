import { describe, expect, it } from 'vitest';
import { judgeFormSchema } from '$lib/schemas/judge';
import {
	DEFAULT_RUBRIC,
	describeScale,
	judgeRequest,
	PAIRWISE_QUESTION,
	parseJudgment,
	parsePreference,
	preferenceRequest,
	renderRubric
} from '$lib/server/judges/rubric';

const task = {
	instruction: 'Answer the customer briefly.',
	ratingScale: 'five_star',
	threshold: 4
} as const;
const requirements = [
	{ id: 7, name: 'Correct', description: 'No wrong facts.' },
	{ id: 9, name: 'Polite', description: '' }
];

describe('a judge’s rubric', () => {
	it('is sent with the project’s instruction, requirements and scale in place', () => {
		const sent = renderRubric(DEFAULT_RUBRIC, task, requirements);
		expect(sent).toContain("The task's instruction:\nAnswer the customer briefly.");
		expect(sent).toContain('- Correct: No wrong facts.\n- Polite\n');
		expect(sent).toContain(
			'"1 star", "2 stars", "3 stars", "4 stars", "5 stars" (worst to best). An output is accepted at "4 stars" or "5 stars".'
		);
		expect(sent).not.toContain('{{');
		expect(describeScale('pass_fail_critical', 2)).toBe(
			'"Critical fail", "Fail", "Pass" (worst to best). An output is accepted at "Pass".'
		);
	});

	it('asks for a rating on the scale and a rationale, overall and per requirement, strictly', () => {
		const request = judgeRequest(
			'judge-model',
			{ rubric: DEFAULT_RUBRIC, temperature: 0 },
			task,
			requirements,
			{
				input: 'Where is my parcel?',
				output: 'On its way.',
				reference: null
			}
		);
		expect(request.temperature).toBe(0);
		expect(request.messages[1]).toEqual({
			role: 'user',
			content: 'Input:\nWhere is my parcel?\n\nOutput to judge:\nOn its way.'
		});
		const format = request.response_format as unknown as {
			json_schema: {
				strict: boolean;
				schema: {
					properties: Record<
						string,
						{
							properties: { rating: { enum: string[] } };
							required: string[];
							additionalProperties: boolean;
						}
					>;
				};
			};
		};
		expect(format.json_schema.strict).toBe(true);
		const { overall, requirements: each } = format.json_schema.schema.properties;
		expect(overall.properties.rating.enum).toEqual([
			'1 star',
			'2 stars',
			'3 stars',
			'4 stars',
			'5 stars'
		]);
		expect(each.required).toEqual(['Correct', 'Polite']);
		expect(each.additionalProperties).toBe(false);
	});

	it('reads an answer on the scale, and refuses one off it or off the schema with the reason', () => {
		const rated = (rating: string) => ({ rating, rationale: ' Fine. ' });
		const answer = {
			overall: rated('4 stars'),
			requirements: { Correct: rated('5 stars'), Polite: rated('2 stars') }
		};
		expect(parseJudgment(JSON.stringify(answer), 'five_star', requirements)).toEqual({
			ok: true,
			rating: 4,
			rationale: 'Fine.',
			requirements: { 7: { rating: 5, rationale: 'Fine.' }, 9: { rating: 2, rationale: 'Fine.' } }
		});
		expect(
			parseJudgment(
				JSON.stringify({ ...answer, overall: rated('Pass') }),
				'five_star',
				requirements
			)
		).toEqual({
			ok: false,
			reason:
				'The judge rated the output overall "Pass", which is not on the scale (1 star, 2 stars, 3 stars, 4 stars, 5 stars).'
		});
		expect(
			parseJudgment(
				JSON.stringify({ ...answer, requirements: { Correct: rated('5 stars') } }),
				'five_star',
				requirements
			)
		).toEqual({ ok: false, reason: 'The judge gave no rating for “Polite”.' });
		expect(parseJudgment('{"overall": ', 'five_star', requirements)).toEqual({
			ok: false,
			reason: 'The judge did not answer in JSON.'
		});
	});

	it('must name the scale, and takes a temperature between 0 and 2', () => {
		const form = { name: 'Strict', modelId: '3', rubric: DEFAULT_RUBRIC, temperature: '' };
		expect(judgeFormSchema.parse(form)).toMatchObject({ withReference: false, temperature: null });
		const noScale = judgeFormSchema.safeParse({ ...form, rubric: 'Rate it.' });
		expect(noScale.error!.issues.map((i) => [i.path[0], i.message])).toEqual([
			[
				'rubric',
				'The rubric names no rating scale: keep {{scale}} in it, where the scale and its threshold are written in.'
			]
		]);
		expect(judgeFormSchema.safeParse({ ...form, temperature: '3' }).error!.issues[0].path).toEqual([
			'temperature'
		]);
	});
});

describe('a pairwise judge’s answer', () => {
	it('is read as the first, the second or a tie, and refused off the schema with the reason', () => {
		expect(parsePreference('{"winner": "B", "rationale": " Shorter. "}')).toEqual({
			ok: true,
			winner: 'second',
			rationale: 'Shorter.'
		});
		expect(parsePreference('{"winner": "tie", "rationale": ""}')).toMatchObject({ winner: 'tie' });
		expect(parsePreference('{"winner": "C"}')).toEqual({
			ok: false,
			reason: 'The judge answered "C", not A, B or tie.'
		});
		expect(parsePreference('A wins')).toEqual({
			ok: false,
			reason: 'The judge did not answer in JSON.'
		});
	});

	it('is asked with the rubric, the pairwise question and both outputs in the item’s order', () => {
		const request = preferenceRequest(
			'judge-model',
			{ rubric: DEFAULT_RUBRIC, temperature: 0 },
			{ instruction: 'Answer briefly.', ratingScale: 'five_star', threshold: 4 },
			[],
			{ input: 'Q?', first: 'one', second: 'two' }
		);
		const [system, user] = request.messages as { content: string }[];
		expect(system.content).toContain('Answer briefly.');
		expect(system.content.endsWith(PAIRWISE_QUESTION)).toBe(true);
		expect(user.content).toBe('Input:\nQ?\n\nOutput A:\none\n\nOutput B:\ntwo');
		expect(request.response_format).toMatchObject({ json_schema: { name: 'preference' } });
	});
});
