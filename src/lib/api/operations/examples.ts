// Examples: the list, one example, imports, and gold.
import { z } from 'zod';
import { DECISIONS, EXAMPLE_SOURCES, EXAMPLE_STATUSES, SPLITS } from '../../server/db/schema';
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
	status: z.enum(EXAMPLE_STATUSES),
	split: z.enum(SPLITS),
	/** Where the example came from: admins only, as annotators review blind. */
	source: z.enum(EXAMPLE_SOURCES).optional(),
	finalRating: z.number().nullable(),
	createdAt: timestamp,
	tags: z.array(z.string())
});

/** One line of an import file that cannot be imported, and why. */
const lineErrorSchema = z.object({ line: z.number().int().nonnegative(), message: z.string() });

/** The most bad lines an answer lists; `message` counts them all. */
export const IMPORT_ERRORS_LISTED = 1000;

/** A refused import: every bad line (up to the limit), or without `errors` no file at all. */
const importRefusalSchema = z.object({
	message: z.string(),
	errors: z.array(lineErrorSchema).max(IMPORT_ERRORS_LISTED).optional()
});

/** Who made a revision: a person's display name, a model's name for admins only, or none. */
const authorSchema = z.object({
	kind: z.enum(['import', 'model', 'user']),
	name: z.string().nullable()
});

/** One review as the example's page shows it to any member: who, when, and what they said. */
export const reviewSchema = z.object({
	id: z.number().int(),
	revisionId: z.number().int(),
	reviewer: z.string(),
	username: z.string(),
	rating: z.number(),
	decision: z.enum(DECISIONS),
	comment: z.string().nullable(),
	durationMs: z.number().int().nullable(),
	createdAt: timestamp,
	requirementRatings: z.array(
		z.object({ requirementId: z.number().int(), name: z.string(), rating: z.number() })
	)
});

const revisionSchema = z.object({
	id: z.number().int(),
	number: z.number().int(),
	/** Null while the example waits for an output (an import of inputs only). */
	output: z.string().nullable(),
	author: authorSchema,
	/** The first output, a person's repair, a new output, or the same one again to re-review. */
	change: z.enum(['first', 'repair', 'output', 'requeue']),
	reason: z.string().nullable(),
	/** Null when the project has no output schema. */
	schemaValid: z.boolean().nullable(),
	schemaErrors: z.string().nullable(),
	createdAt: timestamp,
	reviews: z.array(reviewSchema)
});

/** Where an example came from; it can name the model, so admins only (null for annotators). */
const originSchema = z.object({
	source: z.enum(EXAMPLE_SOURCES),
	jobId: z.number().int().nullable()
});

const timelineEventSchema = z.discriminatedUnion('kind', [
	z.object({
		kind: z.literal('created'),
		at: timestamp,
		author: authorSchema,
		origin: originSchema.nullable()
	}),
	z.object({
		kind: z.literal('revision'),
		at: timestamp,
		number: z.number().int(),
		change: z.enum(['repair', 'output', 'requeue']),
		author: authorSchema,
		reason: z.string().nullable()
	}),
	z.object({
		kind: z.literal('review'),
		at: timestamp,
		revisionNumber: z.number().int(),
		reviewer: z.string(),
		rating: z.number(),
		decision: z.enum(DECISIONS)
	}),
	z.object({
		kind: z.literal('adjudication'),
		at: timestamp,
		revisionNumber: z.number().int(),
		adjudicator: z.string(),
		rating: z.number(),
		decision: z.enum(DECISIONS),
		reason: z.string()
	})
]);

/**
 * One example as its page shows it. Annotators review blind: for them `origin` and `gold` are
 * null, and a model that wrote a revision is not named (`author.name` null).
 */
const exampleDetailSchema = z.object({
	example: z.object({
		id: z.number().int(),
		externalId: z.string().nullable(),
		input: z.string(),
		status: z.enum(EXAMPLE_STATUSES),
		split: z.enum(SPLITS),
		finalRating: z.number().nullable(),
		finalDecision: z.enum(DECISIONS).nullable(),
		currentRevisionId: z.number().int().nullable(),
		createdAt: timestamp,
		updatedAt: timestamp
	}),
	origin: originSchema.nullable(),
	/** A gold example's true rating: admins only, as gold is served like any other example. */
	gold: z.object({ rating: z.number() }).nullable(),
	tags: z.array(z.string()),
	/** Oldest first, each with the reviews that judged it. */
	revisions: z.array(revisionSchema),
	/** The example's history in time order. */
	timeline: z.array(timelineEventSchema)
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
	importExamples: {
		method: 'post',
		path: '/projects/{id}/examples',
		summary:
			'Imports examples, all or nothing: JSONL (one object a line) or CSV with a header, as the import page reads them (admins)',
		access: 'admin',
		params: projectPath,
		body: z.string().meta({
			description:
				'The file: `text/csv` is read as CSV with a header naming `input` (and `output`, `tags`, `id`), any other type as JSONL; without a content type no body is read'
		}),
		bodyMediaTypes: ['application/jsonl', 'text/csv'],
		responses: {
			201: {
				description: 'Imported; rows already in the project skipped',
				schema: z.object({
					imported: z.number().int().positive(),
					skipped: z.number().int()
				})
			},
			200: {
				description: 'Nothing new: every row was already in the project; nothing recorded',
				schema: z.object({ imported: z.literal(0), skipped: z.number().int(), message: z.string() })
			},
			400: {
				description: `Nothing imported: every bad line (the first ${IMPORT_ERRORS_LISTED}) and why, or no body at all`,
				schema: importRefusalSchema
			},
			...conflict('Another import into the project is still being written'),
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	getExample: {
		method: 'get',
		path: '/projects/{id}/examples/{exampleId}',
		summary: 'One example with its revisions and reviews (members; blind for annotators)',
		access: 'member',
		params: examplePath,
		responses: {
			200: { description: 'The example', schema: exampleDetailSchema },
			...refused(noExample)
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
