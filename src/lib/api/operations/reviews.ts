// Reviewing over HTTP: a token claims the next example and submits or skips it exactly as the
// review screen does (leases, overlap and blindness unchanged); reviews are read per example;
// an admin brings in reviews made elsewhere.
import { z } from 'zod';
import { EXAMPLE_STATUSES } from '../../server/db/schema';
import { reviewImportSchema, reviewSubmissionSchema } from '../../schemas/review';
import { reviewSchema } from './examples';
import {
	adminsOnly,
	apiErrorSchema,
	conflict,
	examplePath,
	noExample,
	notFound,
	projectPath,
	refused,
	timestamp,
	type Operation
} from '../parts';

/** An example as an annotator is shown it: input and output only, never who wrote it. */
const claimedSchema = z.object({
	exampleId: z.number().int(),
	revisionId: z.number().int(),
	input: z.string(),
	output: z.string().nullable(),
	leaseExpiresAt: timestamp,
	/** Send it with the review: a retry with the same key is recognised and changes nothing. */
	submissionKey: z.string()
});

const savedSchema = z.object({
	reviewId: z.number().int(),
	exampleId: z.number().int(),
	status: z.enum(EXAMPLE_STATUSES),
	/** The revision a repair made, which the example now shows. */
	newRevisionId: z.number().int().optional()
});

export const skipSchema = z.object({ exampleId: z.number('Say which example.').int().positive() });

const member = refused(notFound);

export const REVIEW_OPERATIONS = {
	claimExample: {
		method: 'post',
		path: '/projects/{id}/queue/claim',
		summary:
			'Leases the next example to the token’s owner, as the review screen does; the same one again while the lease lasts',
		access: 'member',
		params: projectPath,
		responses: {
			200: {
				description: 'The example to review, or null when the queue has nothing for this person',
				schema: z.object({ item: claimedSchema.nullable() })
			},
			...conflict('The project is archived: its queue serves nothing'),
			...member
		}
	},
	skipExample: {
		method: 'post',
		path: '/projects/{id}/queue/skip',
		summary: 'Gives a leased example back and is not offered it again until skips are cleared',
		access: 'member',
		params: projectPath,
		body: skipSchema,
		responses: {
			200: { description: 'Skipped', schema: z.object({ skipped: z.number().int() }) },
			400: { description: 'No example named', schema: apiErrorSchema },
			...conflict('That example is not leased to this person any more'),
			...member
		}
	},
	submitReview: {
		method: 'post',
		path: '/projects/{id}/reviews',
		summary:
			'Submits a review of a leased example: rating, decision, per-requirement ratings, comment, and the repaired output with "repair"',
		access: 'member',
		params: projectPath,
		body: reviewSubmissionSchema,
		responses: {
			201: { description: 'Saved; the example’s status after it', schema: savedSchema },
			200: {
				description: 'The same submission key again: saved before, nothing changed',
				schema: savedSchema
			},
			400: {
				description: 'A field breaks a rule (off the scale, an invalid repair); nothing saved',
				schema: apiErrorSchema
			},
			404: { description: 'No such project, or no such example in it', schema: apiErrorSchema },
			...conflict(
				'The lease ran out or is someone else’s, the example changed, or this person reviewed this version already'
			),
			...refused()
		}
	},
	listReviews: {
		method: 'get',
		path: '/projects/{id}/examples/{exampleId}/reviews',
		summary: 'An example’s reviews, oldest first, as its page shows them (members)',
		access: 'member',
		params: examplePath,
		responses: {
			200: { description: 'The reviews', schema: z.object({ reviews: z.array(reviewSchema) }) },
			...refused(noExample)
		}
	},
	importReviews: {
		method: 'post',
		path: '/projects/{id}/reviews/import',
		summary:
			'Brings in reviews made elsewhere as each named person’s, at their time, all or nothing (admins)',
		access: 'admin',
		params: projectPath,
		body: reviewImportSchema,
		responses: {
			201: {
				description: 'How many reviews were added, on how many examples',
				schema: z.object({ imported: z.number().int(), examples: z.number().int() })
			},
			400: {
				description:
					'Each bad review, under `issues` by its place (`reviews.3`); nothing was written',
				schema: apiErrorSchema
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
