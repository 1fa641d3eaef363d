// The API's operations described once, in zod: what each takes (path, query, body) and what it
// answers for each status. The routes parse with these schemas, the OpenAPI document is
// generated from them (server/openapi.ts), and the contract test checks every answer against
// the document. Operations not yet described here are still written by hand in openapi.ts.
import { z } from 'zod';
import { resolveSchema } from '../schemas/adjudication';
import { exampleFilterSchema, goldSchema } from '../schemas/examples';
import { projectSchema } from '../schemas/project';

/** Every error: what went wrong overall and, per field, what is wrong with it. */
export const apiErrorSchema = z
	.object({
		message: z.string(),
		issues: z.record(z.string(), z.array(z.string())).optional()
	})
	.meta({ description: 'What went wrong, and per field why' });

const timestamp = z.iso.datetime({ offset: true });
const RATING_SCALES = ['five_star', 'pass_fail', 'pass_fail_critical'] as const;
const OUTPUT_KINDS = ['text', 'json', 'turn', 'labels'] as const;

const projectSummarySchema = z.object({
	id: z.number().int(),
	name: z.string(),
	ratingScale: z.enum(RATING_SCALES),
	outputKind: z.enum(OUTPUT_KINDS),
	updatedAt: timestamp,
	/** Examples in the project, and those still waiting for reviews. */
	total: z.number().int(),
	waiting: z.number().int()
});

export const projectViewSchema = z.object({
	id: z.number().int(),
	name: z.string(),
	instruction: z.string(),
	inputKind: z.enum(['text', 'json', 'conversation']),
	inputSchema: z.string().nullable(),
	outputKind: z.enum(OUTPUT_KINDS),
	outputSchema: z.string().nullable(),
	ratingScale: z.enum(RATING_SCALES),
	threshold: z.number().int(),
	reviewsRequired: z.number().int(),
	aggregation: z.enum(['mean', 'median', 'majority']),
	splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
	requirements: z.array(
		z.object({ id: z.number().int(), name: z.string(), description: z.string() })
	),
	createdAt: timestamp,
	updatedAt: timestamp
});
export type ProjectView = z.infer<typeof projectViewSchema>;

/**
 * A project as a script creates it: the project form's fields and rules, with its defaults for
 * what is left out (text in and out, five stars, a threshold of 4, one review, 80/10/10).
 */
export const projectCreateSchema = projectSchema;

const projectPath = z.object({ id: z.coerce.number().int().positive() });

const memberSchema = z.object({
	id: z.string(),
	username: z.string(),
	displayName: z.string(),
	role: z.enum(['admin', 'annotator']),
	active: z.boolean(),
	addedAt: timestamp
});

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

const examplePath = projectPath.extend({ exampleId: z.coerce.number().int().positive() });
const noExample = { 404: { description: 'No such project or example', schema: apiErrorSchema } };
const conflict = (description: string) => ({ 409: { description, schema: apiErrorSchema } });

export const memberAddSchema = z.object({
	username: z.string('Give the username of the person to add.').trim().min(1, 'Give a username.')
});

type Responses = Record<number, { description: string; schema: z.ZodType }>;
export type Operation = {
	method: 'get' | 'post' | 'patch' | 'delete';
	path: string;
	summary: string;
	/** Who may call it: anyone with a token, a member of the project, or an admin. */
	access: 'user' | 'member' | 'admin';
	params?: z.ZodObject;
	query?: z.ZodObject;
	body?: z.ZodType;
	responses: Responses;
};

const refused = (more: Responses = {}): Responses => ({
	401: { description: 'No token, or not a valid one', schema: apiErrorSchema },
	...more
});
const notFound = { 404: { description: 'No such project for this token', schema: apiErrorSchema } };
const adminsOnly = { 403: { description: 'Not an admin', schema: apiErrorSchema } };

export const OPERATIONS = {
	listProjects: {
		method: 'get',
		path: '/projects',
		summary: 'The projects the token may see',
		access: 'user',
		responses: {
			200: {
				description: 'The projects, by name',
				schema: z.object({ projects: z.array(projectSummarySchema) })
			},
			...refused()
		}
	},
	createProject: {
		method: 'post',
		path: '/projects',
		summary: 'Creates a project with its task definition and requirements (admins)',
		access: 'admin',
		body: projectCreateSchema,
		responses: {
			201: { description: 'The project as created', schema: projectViewSchema },
			400: { description: 'The body breaks a rule; nothing was created', schema: apiErrorSchema },
			...refused({ 403: { description: 'Not an admin', schema: apiErrorSchema } })
		}
	},
	getProject: {
		method: 'get',
		path: '/projects/{id}',
		summary: 'A project’s task definition, requirements and queue rules',
		access: 'member',
		params: projectPath,
		responses: {
			200: { description: 'The project', schema: projectViewSchema },
			...refused(notFound)
		}
	},
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
	listMembers: {
		method: 'get',
		path: '/projects/{id}/members',
		summary: 'The people who work on a project (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: {
				description: 'The members, by username',
				schema: z.object({ members: z.array(memberSchema) })
			},
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	addMember: {
		method: 'post',
		path: '/projects/{id}/members',
		summary: 'Adds a person to a project by username (admins)',
		access: 'admin',
		params: projectPath,
		body: memberAddSchema,
		responses: {
			201: { description: 'Added', schema: memberSchema },
			200: { description: 'Already a member: nothing changed', schema: memberSchema },
			400: { description: 'No such active person', schema: apiErrorSchema },
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	removeMember: {
		method: 'delete',
		path: '/projects/{id}/members/{username}',
		summary: 'Takes a person off a project; their reviews stay (admins)',
		access: 'admin',
		params: projectPath.extend({ username: z.string() }),
		responses: {
			200: { description: 'Removed', schema: z.object({ removed: z.literal(true) }) },
			...refused({
				404: { description: 'No such project, or not a member of it', schema: apiErrorSchema },
				...adminsOnly
			})
		}
	},
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

export type OperationId = keyof typeof OPERATIONS;
