import { z } from 'zod';

/** The project's review-queue settings form. */
export const queueSettingsSchema = z.object({
	leaseMinutes: z.coerce
		.number('Give the lease time in minutes.')
		.int('Give a whole number of minutes.')
		.min(1, 'A lease lasts at least 1 minute.')
		.max(240, 'A lease lasts at most 240 minutes.'),
	queueOrder: z.enum(['oldest', 'random', 'judged'], 'Choose an order.'),
	priorityTag: z.string().trim().max(50, 'Tags are at most 50 characters.'),
	repairerReviewCounts: z.enum(['on', '']).transform((v) => v === 'on'),
	goldPercent: z.coerce
		.number('Give the share of gold examples as a percentage.')
		.int('Give a whole percentage.')
		.min(0, 'The share of gold examples is 0% or more.')
		.max(50, 'At most half of what an annotator is served can be gold.'),
	auditPercent: z.coerce
		.number('Give the audit share as a percentage.')
		.int('Give a whole percentage.')
		.min(1, 'At least 1% is kept as the audit sample, so the judges can still be checked.')
		.max(100, 'The audit share is at most 100%.')
});

export const QUEUE_ORDER_LABELS = {
	oldest: 'Oldest first',
	random: 'Random order',
	judged: 'Judge-guided (with an audit sample)'
} as const;
