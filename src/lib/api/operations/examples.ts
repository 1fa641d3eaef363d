// Examples and gold.
import { z } from 'zod';
import { exampleFilterSchema, goldSchema } from '../../schemas/examples';
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

/** The examples list's filter; `before` takes the next page (the last answer's `nextBefore`). */
export const exampleQuerySchema = exampleFilterSchema.omit({ ids: true });

const exampleItemSchema = z.object({
	id: z.number().int(),
	inputPreview: z.string(),
	outputPreview: z.string().nullable(),
	status: z.enum(['queued', 'in_review', 'accepted', 'rejected', 'disputed']),
	split: z.enum(['train', 'val', 'test']),
	/** Where the example came from: admins only, as annotators review blind. */
	source: z
		.enum(['import', 'distillation', 'evaluation', 'student_repair', 'documents'])
		.optional(),
	finalRating: z.number().nullable(),
	createdAt: timestamp,
	tags: z.array(z.string())
});

export const EXAMPLE_OPERATIONS = {
	listExamples: {
		method: 'get',
		path: '/projects/{id}/examples',
		summary: 'A page of examples, newest first (members; the source for admins only)',
		access: 'member',
		params: projectPath,
		query: exampleQuerySchema,
		responses: {
			200: {
				description: 'Fifty examples at most, and the cursor of the next page',
				schema: z.object({
					items: z.array(exampleItemSchema),
					nextBefore: z.number().int().nullable()
				})
			},
			400: { description: 'A query value is not one the filter takes', schema: apiErrorSchema },
			...refused(notFound)
		}
	},
	markGold: {
		method: 'post',
		path: '/projects/{id}/examples/{exampleId}/gold',
		summary: 'Marks an example gold with its true rating (admins)',
		access: 'admin',
		params: examplePath,
		body: goldSchema,
		responses: {
			200: {
				description: 'Gold, with its true rating',
				schema: z.object({ gold: z.literal(true), goldRating: z.number() })
			},
			400: { description: 'A rating off the project’s scale', schema: apiErrorSchema },
			...conflict('The example has no output to rate'),
			...refused({ ...noExample, ...adminsOnly })
		}
	},
	unmarkGold: {
		method: 'delete',
		path: '/projects/{id}/examples/{exampleId}/gold',
		summary: 'Takes an example out of gold; its own reviews settle it again (admins)',
		access: 'admin',
		params: examplePath,
		responses: {
			200: { description: 'No longer gold', schema: z.object({ gold: z.literal(false) }) },
			...conflict('The example is not gold'),
			...refused({ ...noExample, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
