import { z } from 'zod';
import { parseLabelLines } from './labels';

export const RATING_SCALE_LABELS = {
	five_star: 'Five stars (1–5)',
	pass_fail: 'Pass / fail',
	pass_fail_critical: 'Pass / fail / critical fail'
} as const;

export const AGGREGATION_LABELS = {
	mean: 'Mean',
	median: 'Median',
	majority: 'Majority vote'
} as const;

const jsonText = z
	.string()
	.trim()
	.max(100_000, 'Keep the schema under 100,000 characters.')
	.refine((text) => {
		if (text === '') return true;
		try {
			const value = JSON.parse(text);
			return typeof value === 'object' && value !== null && !Array.isArray(value);
		} catch {
			return false;
		}
	}, 'This is not a JSON object. A JSON Schema is an object such as {"type": "object"}.');

export const requirementSchema = z.object({
	id: z.coerce.number().int().positive().optional(),
	name: z
		.string()
		.trim()
		.min(1, 'Give the requirement a name.')
		.max(80, 'Keep names under 80 characters.'),
	description: z.string().trim().max(1000, 'Keep descriptions under 1,000 characters.')
});

export const INPUT_KIND_LABELS = {
	text: 'Plain text',
	json: 'JSON',
	conversation: 'Conversation (with tools)'
} as const;
export const OUTPUT_KIND_LABELS = {
	text: 'Plain text',
	json: 'JSON',
	turn: 'Next assistant turn',
	labels: 'Labels from a set'
} as const;

/** Outputs that are JSON, checked against the output schema: JSON, and choices of labels. */
export const isJsonOutput = (kind: keyof typeof OUTPUT_KIND_LABELS) =>
	kind === 'json' || kind === 'labels';

/** What a field holds, as pages show and edit it. */
export type ContentKind = keyof typeof INPUT_KIND_LABELS | keyof typeof OUTPUT_KIND_LABELS;

export const projectSchema = z
	.object({
		name: z
			.string()
			.trim()
			.min(1, 'Give the project a name.')
			.max(120, 'Keep the name under 120 characters.'),
		instruction: z.string().trim().max(20_000, 'Keep the instruction under 20,000 characters.'),
		inputKind: z.enum(['text', 'json', 'conversation'], 'Choose text, JSON or a conversation.'),
		inputSchema: jsonText,
		outputKind: z.enum(
			['text', 'json', 'turn', 'labels'],
			'Choose text, JSON, the next assistant turn or labels.'
		),
		outputSchema: jsonText,
		/** A label set as the form writes it: one label a line, name | key | description | group. */
		labels: z.string().max(50_000, 'Keep the label set under 50,000 characters.').default(''),
		multipleLabels: z
			.preprocess((value) => value === true || value === 'on', z.boolean())
			.default(false),
		conversationTurns: z
			.enum(['last', 'each'], 'Choose the final turn or every assistant turn.')
			.default('last'),
		ratingScale: z.enum(['five_star', 'pass_fail', 'pass_fail_critical'], 'Choose a rating scale.'),
		threshold: z.coerce
			.number('Give the threshold as a number of stars.')
			.int('Give a whole number of stars.')
			.min(1, 'The threshold is between 1 and 5 stars.')
			.max(5, 'The threshold is between 1 and 5 stars.'),
		reviewsRequired: z.coerce
			.number('Give the number of reviews as a number.')
			.int('Give a whole number.')
			.min(1, 'At least one review is needed per example.')
			.max(10, 'At most 10 reviews per example.'),
		aggregation: z.enum(['mean', 'median', 'majority'], 'Choose how reviews aggregate.'),
		splitTrain: z.coerce
			.number('Give a percentage.')
			.int('Give a whole percentage.')
			.min(0)
			.max(100),
		splitVal: z.coerce.number('Give a percentage.').int('Give a whole percentage.').min(0).max(100),
		splitTest: z.coerce
			.number('Give a percentage.')
			.int('Give a whole percentage.')
			.min(0)
			.max(100),
		requirements: z.array(requirementSchema).max(30, 'At most 30 requirements.')
	})
	.superRefine((value, ctx) => {
		if (value.splitTrain + value.splitVal + value.splitTest !== 100) {
			ctx.addIssue({
				code: 'custom',
				path: ['splitTrain'],
				message: `The splits add up to ${value.splitTrain + value.splitVal + value.splitTest}%; they must add up to 100%.`
			});
		}
		if (value.splitTrain === 0) {
			ctx.addIssue({
				code: 'custom',
				path: ['splitTrain'],
				message: 'Keep some share for training.'
			});
		}
		const seen = new Set<string>();
		value.requirements.forEach((requirement, index) => {
			const key = requirement.name.toLowerCase();
			if (seen.has(key)) {
				ctx.addIssue({
					code: 'custom',
					path: ['requirements', index, 'name'],
					message: 'Two requirements have this name.'
				});
			}
			seen.add(key);
		});
		if (value.inputKind === 'text' && value.inputSchema !== '') {
			ctx.addIssue({
				code: 'custom',
				path: ['inputSchema'],
				message: 'A schema needs JSON input.'
			});
		}
		if ((value.inputKind === 'conversation') !== (value.outputKind === 'turn')) {
			ctx.addIssue({
				code: 'custom',
				path: ['outputKind'],
				message:
					value.inputKind === 'conversation'
						? 'A conversation’s output is its next assistant turn.'
						: 'The next assistant turn needs a conversation as input.'
			});
		}
		if (value.inputKind === 'conversation' && value.inputSchema !== '') {
			ctx.addIssue({
				code: 'custom',
				path: ['inputSchema'],
				message: 'A conversation is checked by its tools’ schemas, not a schema of its own.'
			});
		}
		if (value.outputKind === 'turn' && value.outputSchema !== '') {
			ctx.addIssue({
				code: 'custom',
				path: ['outputSchema'],
				message: 'A turn’s tool calls are checked by their tools’ schemas.'
			});
		}
		if (value.outputKind === 'labels') {
			const read = parseLabelLines(value.labels, value.multipleLabels);
			if (!read.ok)
				for (const message of read.errors)
					ctx.addIssue({ code: 'custom', path: ['labels'], message });
			if (value.outputSchema !== '') {
				ctx.addIssue({
					code: 'custom',
					path: ['outputSchema'],
					message: 'Labels are checked against the label set, not a schema of their own.'
				});
			}
		}
		if (value.outputKind === 'text' && value.outputSchema !== '') {
			ctx.addIssue({
				code: 'custom',
				path: ['outputSchema'],
				message: 'A schema needs JSON output.'
			});
		}
	});

export type ProjectInput = z.infer<typeof projectSchema>;

/** The form's fields as the schema expects them; requirements come as parallel lists. */
export function projectFormValues(form: FormData) {
	const ids = form.getAll('requirementId').map(String);
	const names = form.getAll('requirementName').map(String);
	const descriptions = form.getAll('requirementDescription').map(String);
	const field = (name: string) => String(form.get(name) ?? '');
	return {
		name: field('name'),
		instruction: field('instruction'),
		inputKind: field('inputKind'),
		inputSchema: field('inputSchema'),
		outputKind: field('outputKind'),
		outputSchema: field('outputSchema'),
		conversationTurns: field('conversationTurns') || 'last',
		labels: field('labels'),
		multipleLabels: form.get('multipleLabels') === 'on',
		ratingScale: field('ratingScale'),
		threshold: field('threshold') || '4',
		reviewsRequired: field('reviewsRequired'),
		aggregation: field('aggregation'),
		splitTrain: field('splitTrain'),
		splitVal: field('splitVal'),
		splitTest: field('splitTest'),
		requirements: names.map((name, index) => ({
			id: ids[index] ? ids[index] : undefined,
			name,
			description: descriptions[index] ?? ''
		}))
	};
}

export type ProjectFormValues = ReturnType<typeof projectFormValues>;

/**
 * Applies a requirement button pressed without JavaScript ("add", "remove:2", "up:1",
 * "down:0") to the submitted values. Returns null when the form was simply saved.
 */
export function applyRequirementIntent(
	values: ProjectFormValues,
	intent: string
): ProjectFormValues | null {
	const [verb, at] = intent.split(':');
	const index = Number(at);
	const list = [...values.requirements];
	if (verb === 'add') list.push({ id: undefined, name: '', description: '' });
	else if (verb === 'remove') {
		if (list[index]) list.splice(index, 1);
	} else if (verb === 'up' || verb === 'down') {
		const to = verb === 'up' ? index - 1 : index + 1;
		if (list[index] && to >= 0 && to < list.length) {
			[list[index], list[to]] = [list[to], list[index]];
		}
	} else return null;
	// A button pressed on a row that no longer exists leaves the list as it was; it never saves.
	return { ...values, requirements: list };
}

export const DEFAULT_PROJECT_VALUES: ProjectFormValues = {
	name: '',
	instruction: '',
	inputKind: 'text',
	inputSchema: '',
	outputKind: 'text',
	outputSchema: '',
	conversationTurns: 'last',
	labels: '',
	multipleLabels: false,
	ratingScale: 'five_star',
	threshold: '4',
	reviewsRequired: '1',
	aggregation: 'mean',
	splitTrain: '80',
	splitVal: '10',
	splitTest: '10',
	requirements: []
};
