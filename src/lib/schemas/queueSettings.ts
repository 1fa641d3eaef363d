import { z } from 'zod';

/** The project's review-queue settings form. */
export const queueSettingsSchema = z.object({
	leaseMinutes: z.coerce
		.number('Give the lease time in minutes.')
		.int('Give a whole number of minutes.')
		.min(1, 'A lease lasts at least 1 minute.')
		.max(240, 'A lease lasts at most 240 minutes.'),
	queueOrder: z.enum(['oldest', 'random'], 'Choose an order.'),
	priorityTag: z.string().trim().max(50, 'Tags are at most 50 characters.'),
	repairerReviewCounts: z.enum(['on', '']).transform((v) => v === 'on'),
	goldPercent: z.coerce
		.number('Give the share of gold examples as a percentage.')
		.int('Give a whole percentage.')
		.min(0, 'The share of gold examples is 0% or more.')
		.max(50, 'At most half of what an annotator is served can be gold.')
});

export const QUEUE_ORDER_LABELS = {
	oldest: 'Oldest first',
	random: 'Random order'
} as const;
