import { z } from 'zod';

const blankToUndefined = (value: unknown) => (value === '' || value === null ? undefined : value);

/** The most ticked examples one request carries: a page is fifty, and a hand-made link more. */
export const SELECTION_MAX = 200;

/** The examples page's filters, read from the query string. */
export const exampleFilterSchema = z.object({
	status: z.preprocess(
		blankToUndefined,
		z.enum(['queued', 'in_review', 'accepted', 'rejected', 'disputed']).optional()
	),
	split: z.preprocess(blankToUndefined, z.enum(['train', 'val', 'test']).optional()),
	source: z.preprocess(
		blankToUndefined,
		z.enum(['import', 'distillation', 'evaluation', 'student_repair', 'documents']).optional()
	),
	tag: z.preprocess(blankToUndefined, z.string().trim().max(50).optional()),
	/** The examples one job produced; admins only, like the source. */
	job: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
	q: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
	/** Examples chosen one by one on the list, which a bulk action then takes. */
	ids: z.preprocess(
		(value) => (Array.isArray(value) && value.length === 0 ? undefined : value),
		z
			.array(z.coerce.number().int().positive())
			.max(SELECTION_MAX, `Choose at most ${SELECTION_MAX} examples at once.`)
			.optional()
	),
	before: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
	after: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional())
});

export type ExampleFilter = z.infer<typeof exampleFilterSchema>;

/**
 * A filter's fields from a query string or a form. Ticked examples come as repeated `id`
 * fields; everything else once.
 */
export function filterFields(params: URLSearchParams | FormData): Record<string, unknown> {
	const fields: Record<string, unknown> = {};
	for (const [name, value] of params.entries()) {
		if (name !== 'id' && typeof value === 'string') fields[name] = value;
	}
	const ids = params.getAll('id');
	if (ids.length > 0) fields.ids = ids;
	return fields;
}

/** The columns the examples grid sorts by; each starts with the highest (or newest) first. */
export const EXAMPLE_SORTS = ['id', 'reviews', 'rating', 'activity'] as const;
export type ExampleSort = (typeof EXAMPLE_SORTS)[number];

/** The examples grid's order and page, beside its filter. */
export const exampleGridSchema = z.object({
	sort: z.preprocess(blankToUndefined, z.enum(EXAMPLE_SORTS).default('id')),
	dir: z.preprocess(blankToUndefined, z.enum(['asc', 'desc']).default('desc')),
	page: z.preprocess(blankToUndefined, z.coerce.number().int().positive().max(100_000).default(1))
});
export type ExampleGridOrder = z.infer<typeof exampleGridSchema>;

export const STATUS_LABELS = {
	queued: 'Queued',
	in_review: 'In review',
	accepted: 'Accepted',
	rejected: 'Rejected',
	disputed: 'Disputed'
} as const;

export const SOURCE_LABELS = {
	import: 'Import',
	distillation: 'Distillation',
	evaluation: 'Evaluation',
	student_repair: 'Student repair',
	documents: 'Documents'
} as const;

export const SPLIT_LABELS = { train: 'Train', val: 'Validation', test: 'Test' } as const;

/** The admin's form that marks an example as gold. */
export const goldSchema = z.object({
	goldRating: z.coerce.number('Choose the true rating.').finite('Choose the true rating.')
});
