// Adjudication: the disputes and their resolution.
import { z } from 'zod';
import { resolveSchema } from '../../schemas/adjudication';
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

const disputeSchema = z.object({
	id: z.number().int(),
	inputPreview: z.string(),
	reviewCount: z.number().int(),
	/** The current revision's ratings, lowest first. */
	ratings: z.array(z.number()),
	spread: z.number(),
	disputedBecause: z.string().nullable(),
	updatedAt: timestamp
});

export const disputeQuerySchema = z.object({
	order: z.enum(['oldest', 'newest', 'spread']).default('oldest'),
	page: z.coerce.number().int().positive().default(1)
});

export const ADJUDICATION_OPERATIONS = {
	listDisputes: {
		method: 'get',
		path: '/projects/{id}/disputes',
		summary: 'The disputed examples, fifty a page (admins)',
		access: 'admin',
		params: projectPath,
		query: disputeQuerySchema,
		responses: {
			200: {
				description: 'A page of disputes and how many there are',
				schema: z.object({ items: z.array(disputeSchema), total: z.number().int() })
			},
			400: { description: 'An order or page that is not one', schema: apiErrorSchema },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	resolveDispute: {
		method: 'post',
		path: '/projects/{id}/disputes/{exampleId}',
		summary: 'Resolves a dispute: the final rating, the decision, why, and any repair (admins)',
		access: 'admin',
		params: examplePath,
		body: resolveSchema,
		responses: {
			200: {
				description: 'Resolved; the revision it settles (a new one when repaired)',
				schema: z.object({ exampleId: z.number().int(), revisionId: z.number().int() })
			},
			400: { description: 'The resolution breaks a rule; nothing changed', schema: apiErrorSchema },
			...conflict('The example is not disputed (any more)'),
			...refused({ ...noExample, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
