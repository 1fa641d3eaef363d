import { z } from 'zod';

const optionalText = (max: number, message: string) =>
	z.preprocess(
		(v) => (v === '' || v === null ? undefined : v),
		z.string().max(max, message).optional()
	);

/** A submitted review as the form (or the review screen's fetch) sends it. */
export const reviewFormSchema = z.object({
	exampleId: z.coerce.number().int().positive(),
	revisionId: z.coerce.number().int().positive(),
	submissionKey: z.string().min(8).max(64),
	rating: z.coerce.number('Choose a rating.'),
	decision: z.enum(['accept', 'reject', 'repair'], 'Choose accept, reject or repair.'),
	comment: optionalText(5000, 'Keep the comment under 5,000 characters.'),
	output: z.string().max(1_000_000, 'The repaired output is too long.').optional(),
	durationMs: z.preprocess(
		(v) => (v === '' || v === null ? undefined : v),
		z.coerce.number().int().min(0).max(86_400_000).optional()
	)
});

export type ReviewForm = z.infer<typeof reviewFormSchema>;

const requirementRatingsSchema = z
	.array(
		z.object({
			requirementId: z.number().int().positive(),
			rating: z.number('Give each requirement a rating.')
		})
	)
	.max(100)
	.refine((ratings) => new Set(ratings.map((r) => r.requirementId)).size === ratings.length, {
		message: 'Rate each requirement once.'
	})
	.default([]);

/** A review as a script submits it: the review screen's fields and rules, as JSON. */
export const reviewSubmissionSchema = reviewFormSchema.extend({
	exampleId: z.number().int().positive(),
	revisionId: z.number().int().positive(),
	rating: z.number('Choose a rating.'),
	durationMs: z.number().int().min(0).max(86_400_000).optional(),
	requirementRatings: requirementRatingsSchema
});

/** A review made elsewhere, brought in as the named person's, at the time it was made. */
export const importedReviewSchema = z.object({
	exampleId: z.number().int().positive(),
	/** The example's current revision when left out; a given one must be it. */
	revisionId: z.number().int().positive().optional(),
	username: z.string().trim().min(1, 'Say whose review it is.'),
	rating: z.number('Choose a rating.'),
	decision: z.enum(['accept', 'reject'], 'Choose accept or reject.'),
	comment: reviewFormSchema.shape.comment,
	durationMs: z.number().int().min(0).max(86_400_000).optional(),
	requirementRatings: requirementRatingsSchema,
	reviewedAt: z.iso.datetime({ offset: true, message: 'Give the time as ISO 8601, with its zone.' })
});
export type ImportedReview = z.infer<typeof importedReviewSchema>;

/** At most this many reviews in one import, which is one transaction. */
export const REVIEW_IMPORT_MAX = 10_000;

export const reviewImportSchema = z.object({
	reviews: z
		.array(importedReviewSchema)
		.min(1, 'Send at least one review.')
		.max(
			REVIEW_IMPORT_MAX,
			`Send at most ${REVIEW_IMPORT_MAX.toLocaleString('en')} reviews at once.`
		)
});

/** Per-requirement ratings arrive as fields named `requirement-<id>`. */
export function requirementRatingsFrom(form: FormData): Map<number, number> {
	const ratings = new Map<number, number>();
	for (const [name, value] of form) {
		const match = /^requirement-(\d+)$/.exec(name);
		if (match && typeof value === 'string' && value !== '')
			ratings.set(Number(match[1]), Number(value));
	}
	return ratings;
}

/** A judgment of a comparison as the compare form (or its screen's fetch) sends it. */
export const comparisonFormSchema = z.object({
	comparisonId: z.coerce.number().int().positive(),
	submissionKey: z.string().min(8).max(64),
	choice: z.enum(['left', 'right', 'tie'], 'Choose A, B or a tie.'),
	strength: z.preprocess(
		(v) => (v === '' || v === null ? undefined : v),
		z.coerce
			.number()
			.pipe(z.union([z.literal(1), z.literal(2)], 'Choose slightly or clearly better.'))
			.optional()
	),
	reason: optionalText(5000, 'Keep the reason under 5,000 characters.'),
	repair: z.preprocess(
		(v) => (v === '' || v === null ? undefined : v),
		z.string().max(1_000_000, 'The repaired output is too long.').optional()
	),
	durationMs: z.preprocess(
		(v) => (v === '' || v === null ? undefined : v),
		z.coerce.number().int().min(0).max(86_400_000).optional()
	)
});
