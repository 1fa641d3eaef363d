// Projects and their members.
import { z } from 'zod';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../schemas/project';
import {
	adminsOnly,
	apiErrorSchema,
	conflict,
	notFound,
	OUTPUT_KINDS,
	projectPath,
	RATING_SCALES,
	refused,
	timestamp,
	type Operation
} from '../parts';

const projectSummarySchema = z.object({
	id: z.number().int(),
	name: z.string(),
	ratingScale: z.enum(RATING_SCALES),
	outputKind: z.enum(OUTPUT_KINDS),
	updatedAt: timestamp,
	/** When the project was archived; null while it is open. */
	archivedAt: timestamp.nullable(),
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
	/** Admins only: annotators are not told the share of gold or how the queue is ordered. */
	queue: z
		.object({
			leaseMinutes: z.number().int(),
			queueOrder: z.enum(['oldest', 'random', 'judged']),
			priorityTag: z.string(),
			repairerReviewCounts: z.boolean(),
			goldPercent: z.number().int(),
			auditPercent: z.number().int()
		})
		.optional(),
	createdAt: timestamp,
	updatedAt: timestamp,
	/** When the project was archived (its queue serves nothing, no work starts); null while open. */
	archivedAt: timestamp.nullable()
});
export type ProjectView = z.infer<typeof projectViewSchema>;

/**
 * A project as a script creates it: the project form's fields and rules, with its defaults for
 * what is left out (text in and out, five stars, a threshold of 4, one review, 80/10/10).
 */
export const projectCreateSchema = z
	.object(projectSchema.shape)
	.partial()
	.extend({ name: z.string('Give the project a name.') })
	.transform((given): unknown => ({ ...DEFAULT_PROJECT_VALUES, ...given }))
	.pipe(projectSchema);

const memberSchema = z.object({
	id: z.string(),
	username: z.string(),
	displayName: z.string(),
	role: z.enum(['admin', 'annotator']),
	active: z.boolean(),
	addedAt: timestamp
});

/** The queue settings as JSON: the settings page's fields, checked with its rules. */
const queueChangeSchema = projectViewSchema.shape.queue.unwrap().partial().strict();

/**
 * A change to a project: any fields of its definition (as the create body takes them) and a
 * `queue` with any of its queue settings; what is left out stays as it is. Requirements, when
 * given, are the whole new list, an existing one kept by its `id`.
 */
export const projectChangeSchema = z
	.object(projectSchema.shape)
	.partial()
	.extend({
		// Without their defaults: a field left out of a change stays as it is saved.
		labels: projectSchema.shape.labels.removeDefault().optional(),
		multipleLabels: projectSchema.shape.multipleLabels.removeDefault().optional(),
		conversationTurns: projectSchema.shape.conversationTurns.removeDefault().optional(),
		queue: queueChangeSchema.optional()
	})
	.strict();
export type ProjectChange = z.infer<typeof projectChangeSchema>;

export const memberAddSchema = z.object({
	username: z.string('Give the username of the person to add.').trim().min(1, 'Give a username.')
});

export const PROJECT_OPERATIONS = {
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
	updateProject: {
		method: 'patch',
		path: '/projects/{id}',
		summary:
			'Changes any fields of a project’s task definition and queue settings, with the settings page’s rules (admins)',
		access: 'admin',
		params: projectPath,
		body: projectChangeSchema,
		responses: {
			200: { description: 'The project as it is now', schema: projectViewSchema },
			400: {
				description:
					'The project would break a rule (`queue.<field>` for a queue setting); nothing changed',
				schema: apiErrorSchema
			},
			409: {
				description:
					'The change cannot apply to the examples the project has (another kind of input or output, a label taken away); nothing changed',
				schema: apiErrorSchema
			},
			...refused({ ...notFound, ...adminsOnly })
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
	archiveProject: {
		method: 'post',
		path: '/projects/{id}/archive',
		summary:
			'Archives a project: it leaves the projects list, its queue serves nothing and no work starts in it; everything stays readable and exportable (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: { description: 'The project as it is now, archived', schema: projectViewSchema },
			...conflict(
				'Archived already, or a job or fine-tune of the project is under way; nothing changed'
			),
			...refused({ ...notFound, ...adminsOnly })
		}
	},
	restoreProject: {
		method: 'post',
		path: '/projects/{id}/restore',
		summary: 'Brings an archived project back: its queue serves and work starts again (admins)',
		access: 'admin',
		params: projectPath,
		responses: {
			200: { description: 'The project as it is now, open', schema: projectViewSchema },
			...conflict('The project is not archived; nothing changed'),
			...refused({ ...notFound, ...adminsOnly })
		}
	}
} satisfies Record<string, Operation>;
