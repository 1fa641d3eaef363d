import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { SCALES, type RatingScale } from '../../ratings';
import type { Project, Requirement } from '../db/schema';

// What a judge is asked and how its answer is read: the rubric with the project's own words
// filled in, the structured output it must answer in, and the answer checked against the
// scale. Pure, so the page shows exactly what is sent.

export const DEFAULT_RUBRIC = `You judge outputs written for the task below, as a careful reviewer would.

The task's instruction:
{{instruction}}

The requirements, each rated on its own:
{{requirements}}

The rating scale:
{{scale}}

Rate the output overall and on each requirement, with one short sentence of rationale for each
rating. Judge only what is asked; do not reward length.`;

/** The placeholders a rubric may hold; {{scale}} it must. */
export const PLACEHOLDERS = ['{{instruction}}', '{{requirements}}', '{{scale}}'] as const;

export type JudgeTask = Pick<Project, 'instruction' | 'ratingScale' | 'threshold'>;
export type JudgeRequirement = Pick<Requirement, 'id' | 'name' | 'description'>;

/** The scale in words, with the threshold an output must reach to be accepted. */
export function describeScale(scale: RatingScale, threshold: number): string {
	const values = SCALES[scale];
	const passing = values.filter((v) => v.value >= threshold).map((v) => `"${v.label}"`);
	return `${values.map((v) => `"${v.label}"`).join(', ')} (worst to best). An output is accepted at ${passing.join(' or ')}.`;
}

/** The system prompt exactly as sent: the rubric with the project's words in place. */
export function renderRubric(
	rubric: string,
	task: JudgeTask,
	requirements: JudgeRequirement[]
): string {
	const listed =
		requirements.length === 0
			? '(none: rate the output overall only)'
			: requirements
					.map((r) => `- ${r.name}${r.description ? `: ${r.description}` : ''}`)
					.join('\n');
	return rubric
		.replaceAll('{{instruction}}', task.instruction.trim() || '(no instruction given)')
		.replaceAll('{{requirements}}', listed)
		.replaceAll('{{scale}}', describeScale(task.ratingScale, task.threshold));
}

const rated = (labels: string[]) => ({
	type: 'object',
	properties: {
		rating: { type: 'string', enum: labels },
		rationale: { type: 'string' }
	},
	required: ['rating', 'rationale'],
	additionalProperties: false
});

/** The structured output a judge answers in: strict JSON Schema, as OpenAI's API takes it. */
export function judgmentFormat(task: JudgeTask, requirements: JudgeRequirement[]) {
	const labels = SCALES[task.ratingScale].map((v) => v.label);
	return {
		type: 'json_schema' as const,
		json_schema: {
			name: 'judgment',
			strict: true,
			schema: {
				type: 'object',
				properties: {
					overall: rated(labels),
					requirements: {
						type: 'object',
						properties: Object.fromEntries(requirements.map((r) => [r.name, rated(labels)])),
						required: requirements.map((r) => r.name),
						additionalProperties: false
					}
				},
				required: ['overall', 'requirements'],
				additionalProperties: false
			}
		}
	};
}

/** What the judge is shown: the input, the output, and the reference when asked for. */
export function judgeUserMessage(input: string, output: string, reference: string | null) {
	return [
		`Input:\n${input}`,
		`Output to judge:\n${output}`,
		...(reference !== null ? [`Reference output (a known good answer):\n${reference}`] : [])
	].join('\n\n');
}

export type JudgeSettings = { rubric: string; temperature: number | null };

/** The whole chat request for one output. */
export function judgeRequest(
	modelName: string,
	settings: JudgeSettings,
	task: JudgeTask,
	requirements: JudgeRequirement[],
	shown: { input: string; output: string; reference: string | null }
): ChatCompletionCreateParamsNonStreaming {
	return {
		model: modelName,
		messages: [
			{ role: 'system', content: renderRubric(settings.rubric, task, requirements) },
			{ role: 'user', content: judgeUserMessage(shown.input, shown.output, shown.reference) }
		],
		...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
		response_format: judgmentFormat(task, requirements)
	};
}

export type ParsedJudgment =
	| {
			ok: true;
			rating: number;
			rationale: string;
			/** By requirement id. */
			requirements: Record<number, { rating: number; rationale: string }>;
	  }
	| { ok: false; reason: string };

/**
 * The judge's answer read against the scale and the requirements: an answer off the schema or
 * off the scale is refused with the reason, so its item fails and the run goes on.
 */
export function parseJudgment(
	content: string,
	scale: RatingScale,
	requirements: JudgeRequirement[]
): ParsedJudgment {
	let answer: unknown;
	try {
		answer = JSON.parse(content);
	} catch {
		return { ok: false, reason: 'The judge did not answer in JSON.' };
	}
	const values = SCALES[scale];
	const read = (part: unknown, what: string) => {
		const given = part as { rating?: unknown; rationale?: unknown } | null;
		if (typeof given !== 'object' || given === null) {
			return { error: `The judge gave no rating for ${what}.` };
		}
		const value = values.find((v) => v.label === given.rating);
		if (!value) {
			return {
				error: `The judge rated ${what} ${JSON.stringify(given.rating)}, which is not on the scale (${values.map((v) => v.label).join(', ')}).`
			};
		}
		return {
			rating: value.value,
			rationale: typeof given.rationale === 'string' ? given.rationale.trim() : ''
		};
	};
	const body = answer as { overall?: unknown; requirements?: Record<string, unknown> } | null;
	if (typeof body !== 'object' || body === null) {
		return { ok: false, reason: 'The judge’s answer is not a JSON object.' };
	}
	const overall = read(body.overall, 'the output overall');
	if ('error' in overall) return { ok: false, reason: overall.error! };
	const byRequirement: Record<number, { rating: number; rationale: string }> = {};
	for (const requirement of requirements) {
		const one = read(body.requirements?.[requirement.name], `“${requirement.name}”`);
		if ('error' in one) return { ok: false, reason: one.error! };
		byRequirement[requirement.id] = one;
	}
	return {
		ok: true,
		rating: overall.rating,
		rationale: overall.rationale,
		requirements: byRequirement
	};
}

// A pairwise judge: the same rubric, asked which of two outputs for one input is better. Each
// pair is asked twice, in both orders, by the caller; here one order is one request.

/** What the rubric is followed by when the judge compares two outputs instead of rating one. */
export const PAIRWISE_QUESTION = `You are shown two outputs for the same input, A and B. Say which better does what the
task asks, judged by the requirements and the scale above, or "tie" when neither is better.
The order they are shown in says nothing about them.`;

/** The structured output a pairwise judge answers in. */
export function preferenceFormat() {
	return {
		type: 'json_schema' as const,
		json_schema: {
			name: 'preference',
			strict: true,
			schema: {
				type: 'object',
				properties: {
					winner: { type: 'string', enum: ['A', 'B', 'tie'] },
					rationale: { type: 'string' }
				},
				required: ['winner', 'rationale'],
				additionalProperties: false
			}
		}
	};
}

/** What a pairwise judge is shown: the input and the two outputs, in this request's order. */
export function preferenceUserMessage(input: string, first: string, second: string) {
	return [`Input:\n${input}`, `Output A:\n${first}`, `Output B:\n${second}`].join('\n\n');
}

export function preferenceRequest(
	modelName: string,
	settings: JudgeSettings,
	task: JudgeTask,
	requirements: JudgeRequirement[],
	shown: { input: string; first: string; second: string }
): ChatCompletionCreateParamsNonStreaming {
	return {
		model: modelName,
		messages: [
			{
				role: 'system',
				content: `${renderRubric(settings.rubric, task, requirements)}\n\n${PAIRWISE_QUESTION}`
			},
			{ role: 'user', content: preferenceUserMessage(shown.input, shown.first, shown.second) }
		],
		...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
		response_format: preferenceFormat()
	};
}

export type ParsedPreference =
	| { ok: true; winner: 'first' | 'second' | 'tie'; rationale: string }
	| { ok: false; reason: string };

/** The pairwise judge's answer: A is the output shown first. Off the schema, refused with why. */
export function parsePreference(content: string): ParsedPreference {
	let answer: { winner?: unknown; rationale?: unknown } | null;
	try {
		answer = JSON.parse(content);
	} catch {
		return { ok: false, reason: 'The judge did not answer in JSON.' };
	}
	if (typeof answer !== 'object' || answer === null) {
		return { ok: false, reason: 'The judge’s answer is not a JSON object.' };
	}
	const winner = { A: 'first', B: 'second', tie: 'tie' }[String(answer.winner)] as
		'first' | 'second' | 'tie' | undefined;
	if (!winner) {
		return {
			ok: false,
			reason: `The judge answered ${JSON.stringify(answer.winner)}, not A, B or tie.`
		};
	}
	const rationale = typeof answer.rationale === 'string' ? answer.rationale.trim() : '';
	return { ok: true, winner, rationale };
}
