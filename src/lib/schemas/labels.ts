import { z } from 'zod';

// A project's label set: the categories its outputs are chosen from (news topics, intents),
// each with a name, a description the teacher and the annotators read, an optional key for the
// review screen and an optional group (a two-level hierarchy). A single-choice set takes one
// label an output; a multiple-choice set one or more. An output is stored as JSON,
// {"labels": [names…]}, in the set's order.

/** Keys the review screen uses already: ratings (digits, C F P) and its commands. */
export const RESERVED_KEYS = new Set([...'0123456789', ...'cfp', ...'jkaresun', '?']);
/** The letters left for labels. */
export const LABEL_KEYS = [...'abcdefghijklmnopqrstuvwxyz'].filter((k) => !RESERVED_KEYS.has(k));

export const MAX_LABELS = 100;

export const labelSchema = z.object({
	name: z
		.string()
		.trim()
		.min(1, 'Give the label a name.')
		.max(60, 'Keep label names under 60 characters.')
		.refine((name) => !name.includes(','), 'A label name cannot hold a comma.'),
	description: z.string().trim().max(500, 'Keep descriptions under 500 characters.').default(''),
	key: z
		.string()
		.trim()
		.toLowerCase()
		.refine(
			(key) => key === '' || LABEL_KEYS.includes(key),
			`A key is one of the letters ${LABEL_KEYS.join(' ').toUpperCase()} (the others are the review screen’s), or none.`
		)
		.default(''),
	group: z.string().trim().max(60, 'Keep group names under 60 characters.').default('')
});

export const labelSetSchema = z
	.object({
		multiple: z.boolean(),
		labels: z
			.array(labelSchema)
			.min(2, 'A label set needs at least two labels.')
			.max(MAX_LABELS, `At most ${MAX_LABELS} labels.`)
	})
	.superRefine((set, ctx) => {
		const names = new Set<string>();
		const keys = new Map<string, string>();
		set.labels.forEach((label, i) => {
			const name = label.name.toLowerCase();
			if (names.has(name)) {
				ctx.addIssue({
					code: 'custom',
					path: ['labels', i, 'name'],
					message: `Two labels are named “${label.name}”.`
				});
			}
			names.add(name);
			if (label.key && keys.has(label.key)) {
				ctx.addIssue({
					code: 'custom',
					path: ['labels', i, 'key'],
					message: `The key ${label.key.toUpperCase()} is “${keys.get(label.key)}”’s already.`
				});
			}
			if (label.key) keys.set(label.key, label.name);
		});
	});

export type LabelSet = z.infer<typeof labelSetSchema>;
export type Label = LabelSet['labels'][number];

/**
 * The label set as the project form writes it: one label a line, its parts separated by "|":
 * name | key | description | group. Each bad line is reported with its number.
 */
export function parseLabelLines(
	text: string,
	multiple: boolean
): { ok: true; set: LabelSet } | { ok: false; errors: string[] } {
	const lines = text
		.split(/\r?\n/)
		.map((line, i) => ({ line: i + 1, text: line.trim() }))
		.filter((l) => l.text !== '');
	const labels = lines.map(({ text }) => {
		const [name = '', key = '', description = '', group = ''] = text.split('|');
		return { name, key, description, group };
	});
	const parsed = labelSetSchema.safeParse({ multiple, labels });
	if (parsed.success) return { ok: true, set: parsed.data };
	const problems = parsed.error.issues.map((issue) => {
		const index = issue.path[1];
		const line = typeof index === 'number' ? lines[index].line : 0;
		return { line, message: line ? `Line ${line}: ${issue.message}` : issue.message };
	});
	return { ok: false, errors: problems.sort((a, b) => a.line - b.line).map((p) => p.message) };
}

/** The lines the form shows for a saved set. */
export function labelLines(set: LabelSet): string {
	return set.labels
		.map((l) => [l.name, l.key, l.description, l.group].join(' | ').replace(/(\s\|\s)+$/, ''))
		.join('\n');
}

/** The JSON Schema every output of the set fits; the teacher answers under it. */
export function labelOutputSchema(set: LabelSet) {
	return {
		type: 'object',
		properties: {
			labels: {
				type: 'array',
				items: { enum: set.labels.map((l) => l.name) },
				minItems: 1,
				maxItems: set.multiple ? set.labels.length : 1,
				uniqueItems: true
			}
		},
		required: ['labels'],
		additionalProperties: false
	};
}

/**
 * An answer as the label set reads it: {"labels": […]} as JSON, or the names as text (one, or
 * several separated by commas), which is how training files give them. Null when it is neither.
 */
export function readLabels(set: LabelSet, text: string): string[] | null {
	let names: unknown = text.split(',').map((n) => n.trim());
	try {
		const value: unknown = JSON.parse(text);
		if (Array.isArray(value)) names = value;
		else if (value !== null && typeof value === 'object') {
			names = (value as { labels?: unknown }).labels;
		}
	} catch {
		// Not JSON: the names as text.
	}
	if (!Array.isArray(names) || names.length === 0) return null;
	const byName = new Map(set.labels.map((l) => [l.name.toLowerCase(), l.name]));
	const chosen = names.map((n) =>
		typeof n === 'string' ? byName.get(n.trim().toLowerCase()) : undefined
	);
	if (chosen.some((n) => n === undefined)) return null;
	if (!set.multiple && chosen.length > 1) return null;
	const order = set.labels.map((l) => l.name);
	return [...new Set(chosen as string[])].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** The stored output for chosen labels. */
export const labelsOutput = (names: string[]) => JSON.stringify({ labels: names });

/** The assistant's answer in a training file: the label's name, or the names joined. */
export const labelsAnswer = (names: string[]) => names.join(', ');
