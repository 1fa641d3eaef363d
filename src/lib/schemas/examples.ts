import { z } from 'zod';

const blankToUndefined = (value: unknown) => (value === '' || value === null ? undefined : value);

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
	before: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional()),
	after: z.preprocess(blankToUndefined, z.coerce.number().int().positive().optional())
});

export type ExampleFilter = z.infer<typeof exampleFilterSchema>;

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
