import {
	and,
	asc,
	count,
	eq,
	exists,
	inArray,
	isNotNull,
	isNull,
	notInArray,
	sql
} from 'drizzle-orm';
import { changedRows, dialectOf, preparedRead, type Db, type Queryable, type Tx } from './db';
import {
	example,
	fineTune,
	job,
	lease,
	project,
	projectMember,
	requirement,
	user,
	type Project,
	type Role
} from './db/schema';
import { refreshTriage } from './judges/triage';
import { ACTIVE_STATUSES } from './finetune';
import { notStaged } from './import/staging';
import { projectSchema, type ProjectInput } from '../schemas/project';
import { fieldErrors } from '../schemas/forms';
import { queueSettingsSchema } from '../schemas/queueSettings';
import { queueSettingsOf, saveQueueSettings, trustFor } from './queuePriority';
import type { ProjectChange, ProjectView } from '../api/contract';
import type { SessionUser } from './auth';
import { checkJsonSchema } from '../jsonSchema';
import { labelLines, labelOutputSchema, parseLabelLines, type LabelSet } from '../schemas/labels';

/** The top rating value of a pass/fail scale is its pass. */
export function thresholdFor(input: Pick<ProjectInput, 'ratingScale' | 'threshold'>): number {
	if (input.ratingScale === 'pass_fail') return 1;
	if (input.ratingScale === 'pass_fail_critical') return 2;
	return input.threshold;
}

/** Field errors that need the server: schemas must compile as JSON Schema. */
export function projectSchemaErrors(input: ProjectInput): Record<string, string[]> {
	const errors: Record<string, string[]> = {};
	for (const field of ['inputSchema', 'outputSchema'] as const) {
		if (input[field] === '') continue;
		const problem = checkJsonSchema(input[field]);
		if (problem) errors[field] = [problem];
	}
	return errors;
}

/** The output's schema and label set: a label set's outputs are JSON that fits the set. */
function outputRules(input: ProjectInput) {
	if (input.outputKind === 'labels') {
		const read = parseLabelLines(input.labels, input.multipleLabels);
		if (!read.ok) throw new Error(`the label set was not checked: ${read.errors[0]}`);
		return {
			outputSchema: JSON.stringify(labelOutputSchema(read.set)),
			labelSet: JSON.stringify(read.set)
		};
	}
	return {
		outputSchema: input.outputKind === 'json' && input.outputSchema ? input.outputSchema : null,
		labelSet: null
	};
}

function projectColumns(input: ProjectInput, now: Date) {
	return {
		name: input.name,
		instruction: input.instruction,
		inputKind: input.inputKind,
		inputSchema: input.inputKind === 'json' && input.inputSchema ? input.inputSchema : null,
		outputKind: input.outputKind,
		...outputRules(input),
		conversationTurns: input.conversationTurns,
		ratingScale: input.ratingScale,
		threshold: thresholdFor(input),
		reviewsRequired: input.reviewsRequired,
		aggregation: input.aggregation,
		splitTrain: input.splitTrain,
		splitVal: input.splitVal,
		splitTest: input.splitTest,
		updatedAt: now
	};
}

export async function createProject(
	db: Db,
	input: ProjectInput,
	creatorId: string,
	now = new Date()
) {
	return await db.transaction(async (tx) => {
		const created = (
			await tx
				.insert(project)
				.values({ ...projectColumns(input, now), createdBy: creatorId, createdAt: now })
				.returning()
		)[0];
		for (const [position, r] of input.requirements.entries()) {
			await tx
				.insert(requirement)
				.values({ projectId: created.id, name: r.name, description: r.description, position });
		}
		await tx
			.insert(projectMember)
			.values({ projectId: created.id, userId: creatorId, addedAt: now });
		return created;
	});
}

/**
 * Why a label set cannot change so, once outputs were chosen from it: every label stays (it may
 * be described, keyed and grouped anew, and labels added), and a multiple-choice set stays one.
 */
function narrowedLabels(saved: string, input: ProjectInput): string | null {
	if (input.outputKind !== 'labels') return null;
	const before = JSON.parse(saved) as LabelSet;
	const after = parseLabelLines(input.labels, input.multipleLabels);
	if (!after.ok) return null;
	const names = new Set(after.set.labels.map((l) => l.name));
	const gone = before.labels.filter((l) => !names.has(l.name)).map((l) => `“${l.name}”`);
	if (gone.length > 0) {
		return `This project has examples labelled from its set: ${gone.join(', ')} must stay (rename none; add new labels instead).`;
	}
	if (before.multiple && !after.set.multiple) {
		return 'This project has examples with several labels; its set must stay multiple-choice.';
	}
	return null;
}

/** Why the kinds of a project's inputs or outputs cannot change: its examples are of the old ones. */
export const KINDS_FIXED =
	'This project has examples already; their inputs and outputs are of the kind it has now. Make a new project for another kind.';

/**
 * Saves the task definition. Requirements keep their ids so earlier per-requirement
 * ratings stay attached; a removed requirement is archived, not deleted. The kinds of input
 * and output are fixed once the project has an example: nothing is saved then.
 */
export async function updateProject(
	db: Db,
	projectId: number,
	input: ProjectInput,
	now = new Date()
): Promise<{ ok: true } | { ok: false; errors: Record<string, string[]> }> {
	return await db.transaction(async (tx) => saveDefinition(tx, projectId, input, now));
}

/** `updateProject` in the caller's transaction; a refusal writes nothing. */
async function saveDefinition(
	tx: Tx,
	projectId: number,
	input: ProjectInput,
	now: Date
): Promise<{ ok: true } | { ok: false; errors: Record<string, string[]> }> {
	const before = (
		await tx
			.select({
				ratingScale: project.ratingScale,
				threshold: project.threshold,
				inputKind: project.inputKind,
				outputKind: project.outputKind,
				labelSet: project.labelSet
			})
			.from(project)
			.where(eq(project.id, projectId))
			.limit(1)
	)[0];
	const changed = (['inputKind', 'outputKind'] as const).filter(
		(field) => before && before[field] !== input[field]
	);
	const narrowed = before?.labelSet ? narrowedLabels(before.labelSet, input) : null;
	if (changed.length > 0 || narrowed) {
		const any = await tx
			.select({ id: example.id })
			.from(example)
			.where(eq(example.projectId, projectId))
			.limit(1);
		if (any.length > 0 && changed.length > 0) {
			return { ok: false, errors: Object.fromEntries(changed.map((f) => [f, [KINDS_FIXED]])) };
		}
		if (any.length > 0 && narrowed) return { ok: false, errors: { labels: [narrowed] } };
	}
	await tx.update(project).set(projectColumns(input, now)).where(eq(project.id, projectId));
	// The judge-guided order reads judges' ratings against the threshold: re-keyed with it.
	if (
		before &&
		(before.ratingScale !== input.ratingScale || before.threshold !== thresholdFor(input))
	) {
		await refreshTriage(tx, projectId);
	}
	const existing = (
		await tx
			.select({ id: requirement.id })
			.from(requirement)
			.where(eq(requirement.projectId, projectId))
	).map((r) => r.id);
	const kept = new Set<number>();
	for (const [position, r] of input.requirements.entries()) {
		if (r.id && existing.includes(r.id)) {
			kept.add(r.id);
			await tx
				.update(requirement)
				.set({ name: r.name, description: r.description, position, archived: false })
				.where(eq(requirement.id, r.id));
		} else {
			await tx
				.insert(requirement)
				.values({ projectId, name: r.name, description: r.description, position });
		}
	}
	const removed = existing.filter((id) => !kept.has(id));
	if (removed.length > 0) {
		await tx.update(requirement).set({ archived: true }).where(inArray(requirement.id, removed));
	}
	return { ok: true };
}

export type ProjectChangeResult =
	| { ok: true; project: Project }
	| { ok: false; status: 400 | 409; errors: Record<string, string[]> };

/**
 * A script's change to a project: any fields of the task definition and of the queue
 * settings, laid over what is saved and then checked whole with the settings page's rules
 * (so a change is refused for the same reasons, with the same messages). Requirements, when
 * given, are the whole new list: one with the `id` of an existing requirement keeps it and
 * its ratings. Both parts are saved in one transaction.
 */
export async function changeProject(
	db: Db,
	target: Project,
	change: ProjectChange,
	now = new Date()
): Promise<ProjectChangeResult> {
	const { queue, ...definition } = change;
	const queueValues = (current: Project) => {
		const values = { ...queueSettingsOf(current), ...queue };
		return queueSettingsSchema.safeParse({
			...values,
			repairerReviewCounts: values.repairerReviewCounts ? 'on' : ''
		});
	};
	// The judges are measured first (reads), as the settings page does.
	const before = queueValues(target);
	const trust = queue && before.success ? await trustFor(db, target.id, before.data) : null;
	const result = await db.transaction(async (tx): Promise<ProjectChangeResult> => {
		// What is saved is read in the transaction, so a change made meanwhile is not undone.
		const current = (await tx.select().from(project).where(eq(project.id, target.id)).limit(1))[0];
		if (!current) return { ok: false, status: 409, errors: { form: ['No such project.'] } };
		const saved = await projectToFormValues(tx, current);
		const parsed = projectSchema.safeParse({ ...saved, ...definition });
		if (!parsed.success) return { ok: false, status: 400, errors: fieldErrors(parsed.error) };
		const schemaErrors = projectSchemaErrors(parsed.data);
		if (Object.keys(schemaErrors).length > 0) {
			return { ok: false, status: 400, errors: schemaErrors };
		}
		const settings = queueValues(current);
		if (!settings.success) {
			const errors: Record<string, string[]> = {};
			for (const [field, messages] of Object.entries(fieldErrors(settings.error))) {
				errors[`queue.${field}`] = messages;
			}
			return { ok: false, status: 400, errors };
		}
		const defined = await saveDefinition(tx, target.id, parsed.data, now);
		if (!defined.ok) return { ok: false, status: 409, errors: defined.errors };
		if (queue) await saveQueueSettings(tx, target.id, settings.data, trust, now);
		return { ok: true, project: current };
	});
	if (!result.ok) return result;
	return { ok: true, project: (await getProject(db, target.id))! };
}

// Every project page and API call asks these two.
const projectById = preparedRead((q) =>
	q
		.select()
		.from(project)
		.where(eq(project.id, sql.placeholder('projectId')))
		.limit(1)
		.prepare()
);
const membership = preparedRead((q) =>
	q
		.select({ userId: projectMember.userId })
		.from(projectMember)
		.where(
			and(
				eq(projectMember.projectId, sql.placeholder('projectId')),
				eq(projectMember.userId, sql.placeholder('userId'))
			)
		)
		.limit(1)
		.prepare()
);

/** The project with whether this person belongs to it, in one round trip. */
const projectWithMembership = preparedRead((q) =>
	q
		.select({
			project,
			// A builder, not SQL text: its columns keep their table names, which SQLite's
			// dialect drops from SQL text in a select list without joins.
			member: exists(
				q
					.select({ one: sql`1` })
					.from(projectMember)
					.where(
						and(
							eq(projectMember.projectId, project.id),
							eq(projectMember.userId, sql.placeholder('userId'))
						)
					)
			)
		})
		.from(project)
		.where(eq(project.id, sql.placeholder('projectId')))
		.limit(1)
		.prepare()
);

export async function getProject(db: Db, projectId: number): Promise<Project | undefined> {
	return (await projectById(db).execute({ projectId }))[0];
}

export async function isMember(db: Db, projectId: number, userId: string): Promise<boolean> {
	return (await membership(db).execute({ projectId, userId })).length > 0;
}

/** Admins see every project; annotators only those they belong to. */
export async function getProjectForUser(
	db: Db,
	projectId: number,
	viewer: Pick<SessionUser, 'id' | 'role'>
): Promise<Project | undefined> {
	if (viewer.role === 'admin') return await getProject(db, projectId);
	const found = (await projectWithMembership(db).execute({ projectId, userId: viewer.id }))[0];
	// SQLite answers `exists` with 1 or 0, PostgreSQL with true or false.
	return found && Boolean(found.member) ? found.project : undefined;
}

/** The projects this person may see: the open ones, or with `archived` the archived ones. */
export async function listProjectsForUser(
	db: Db,
	viewer: Pick<SessionUser, 'id' | 'role'>,
	options: { archived?: boolean } = {}
) {
	const base = db
		.select({
			id: project.id,
			name: project.name,
			ratingScale: project.ratingScale,
			outputKind: project.outputKind,
			updatedAt: project.updatedAt,
			archivedAt: project.archivedAt
		})
		.from(project);
	const shown = options.archived ? isNotNull(project.archivedAt) : isNull(project.archivedAt);
	const rows =
		viewer.role === 'admin'
			? await base.where(shown).orderBy(asc(dialectOf(db).byCodePoint(project.name)))
			: await base
					.innerJoin(projectMember, eq(projectMember.projectId, project.id))
					.where(and(eq(projectMember.userId, viewer.id), shown))
					.orderBy(asc(dialectOf(db).byCodePoint(project.name)));
	const ids = rows.map((r) => r.id);
	const counts = ids.length
		? await db
				.select({ projectId: example.projectId, status: example.status, n: count() })
				.from(example)
				.where(and(inArray(example.projectId, ids), notStaged()))
				.groupBy(example.projectId, example.status)
		: [];
	return rows.map((r) => {
		const mine = counts.filter((c) => c.projectId === r.id);
		const total = mine.reduce((sum, c) => sum + c.n, 0);
		const waiting = mine
			.filter((c) => c.status === 'queued' || c.status === 'in_review')
			.reduce((sum, c) => sum + c.n, 0);
		return { ...r, total, waiting };
	});
}

/** A project as the API shows it: its task definition, requirements and queue rules. */
export async function describeProject(
	db: Db,
	target: Project,
	viewer: { role: Role }
): Promise<ProjectView> {
	return {
		id: target.id,
		name: target.name,
		instruction: target.instruction,
		inputKind: target.inputKind,
		inputSchema: target.inputSchema,
		outputKind: target.outputKind,
		outputSchema: target.outputSchema,
		ratingScale: target.ratingScale,
		threshold: target.threshold,
		reviewsRequired: target.reviewsRequired,
		aggregation: target.aggregation,
		splits: { train: target.splitTrain, val: target.splitVal, test: target.splitTest },
		requirements: await listRequirements(db, target.id),
		// The share of gold and the judges' order are kept from annotators, as on the pages.
		...(viewer.role === 'admin' ? { queue: queueSettingsOf(target) } : {}),
		createdAt: target.createdAt.toISOString(),
		updatedAt: target.updatedAt.toISOString(),
		archivedAt: target.archivedAt?.toISOString() ?? null
	};
}

export const PROJECT_ARCHIVED = 'This project is archived; restore it first.';

/** Work was to start in an archived project; routes check first and answer 409. */
export class ProjectArchivedError extends Error {
	constructor() {
		super(PROJECT_ARCHIVED);
	}
}

/**
 * True when the project is open (not archived), and then its row stays locked for the rest
 * of the transaction: whatever starts work in a project holds it first, so on PostgreSQL an
 * archive and a start wait for each other and never cross (SQLite runs one writer anyway).
 */
export async function holdOpenProject(tx: Tx, projectId: number): Promise<boolean> {
	const held = await changedRows(
		tx
			.update(project)
			.set({ archivedAt: null })
			.where(and(eq(project.id, projectId), isNull(project.archivedAt)))
	);
	return held > 0;
}

/** As holdOpenProject, for starts that have no refusal of their own to return. */
export async function requireOpenProject(tx: Tx, projectId: number): Promise<void> {
	if (!(await holdOpenProject(tx, projectId))) throw new ProjectArchivedError();
}

export type ArchiveResult = { ok: true; project: Project } | { ok: false; message: string };

const BUSY_JOB_STATUSES = ['pending', 'running'] as const;

/**
 * Archives a project: its queue serves nothing and no work starts in it, while everything in
 * it stays readable and exportable. Refused while any of its jobs or fine-tunes is under way,
 * since archiving would leave them running where nobody looks.
 */
export async function archiveProject(
	db: Db,
	projectId: number,
	now = new Date()
): Promise<ArchiveResult> {
	return await db.transaction(async (tx) => {
		// Held first, so that a job started meanwhile is seen by the checks below.
		if (!(await holdOpenProject(tx, projectId))) {
			return { ok: false, message: 'This project is archived already.' };
		}
		const busyJob = await tx
			.select({ id: job.id })
			.from(job)
			.where(and(eq(job.projectId, projectId), inArray(job.status, [...BUSY_JOB_STATUSES])))
			.limit(1);
		if (busyJob.length > 0)
			return { ok: false, message: 'Pause or cancel its running jobs first.' };
		const busyFineTune = await tx
			.select({ id: fineTune.id })
			.from(fineTune)
			.where(and(eq(fineTune.projectId, projectId), inArray(fineTune.status, ACTIVE_STATUSES)))
			.limit(1);
		if (busyFineTune.length > 0) {
			return { ok: false, message: 'Wait for or cancel its fine-tunes first.' };
		}
		const archived = await tx
			.update(project)
			.set({ archivedAt: now, updatedAt: now })
			.where(eq(project.id, projectId))
			.returning();
		// Leases held from before would still take a review into a closed queue.
		await tx
			.delete(lease)
			.where(
				inArray(
					lease.exampleId,
					tx.select({ id: example.id }).from(example).where(eq(example.projectId, projectId))
				)
			);
		return { ok: true, project: archived[0] };
	});
}

/** Brings an archived project back: its queue serves again and work may start in it. */
export async function restoreProject(
	db: Db,
	projectId: number,
	now = new Date()
): Promise<ArchiveResult> {
	return await db.transaction(async (tx) => {
		const restored = await tx
			.update(project)
			.set({ archivedAt: null, updatedAt: now })
			.where(and(eq(project.id, projectId), isNotNull(project.archivedAt)))
			.returning();
		if (restored.length === 0) return { ok: false, message: 'This project is not archived.' };
		return { ok: true, project: restored[0] };
	});
}

export async function listRequirements(db: Queryable, projectId: number) {
	return await db
		.select({ id: requirement.id, name: requirement.name, description: requirement.description })
		.from(requirement)
		.where(and(eq(requirement.projectId, projectId), eq(requirement.archived, false)))
		.orderBy(asc(requirement.position));
}

export async function listMembers(db: Db, projectId: number) {
	return await db
		.select({
			id: user.id,
			username: user.username,
			displayName: user.displayName,
			role: user.role,
			active: user.active,
			addedAt: projectMember.addedAt
		})
		.from(projectMember)
		.innerJoin(user, eq(user.id, projectMember.userId))
		.where(eq(projectMember.projectId, projectId))
		.orderBy(asc(dialectOf(db).byCodePoint(user.username)));
}

/** Active users who could be added to the project. */
export async function listNonMembers(db: Db, projectId: number) {
	const memberIds = db
		.select({ id: projectMember.userId })
		.from(projectMember)
		.where(eq(projectMember.projectId, projectId));
	return await db
		.select({ id: user.id, username: user.username, displayName: user.displayName })
		.from(user)
		.where(and(eq(user.active, true), notInArray(user.id, memberIds)))
		.orderBy(asc(dialectOf(db).byCodePoint(user.username)));
}

export async function addMember(
	db: Db,
	projectId: number,
	userId: string,
	now = new Date()
): Promise<void> {
	await db.transaction(async (tx) =>
		tx.insert(projectMember).values({ projectId, userId, addedAt: now }).onConflictDoNothing()
	);
}

export async function removeMember(db: Db, projectId: number, userId: string): Promise<void> {
	await db.transaction(async (tx) =>
		tx
			.delete(projectMember)
			.where(and(eq(projectMember.projectId, projectId), eq(projectMember.userId, userId)))
	);
}

/** The project's saved definition as form values, for the edit form. */
export async function projectToFormValues(db: Queryable, found: Project) {
	return {
		name: found.name,
		instruction: found.instruction,
		inputKind: found.inputKind,
		inputSchema: found.inputSchema ?? '',
		outputKind: found.outputKind,
		outputSchema: found.outputKind === 'json' ? (found.outputSchema ?? '') : '',
		labels: found.labelSet ? labelLines(JSON.parse(found.labelSet) as LabelSet) : '',
		multipleLabels: found.labelSet ? (JSON.parse(found.labelSet) as LabelSet).multiple : false,
		conversationTurns: found.conversationTurns,
		ratingScale: found.ratingScale,
		threshold: String(found.ratingScale === 'five_star' ? found.threshold : 4),
		reviewsRequired: String(found.reviewsRequired),
		aggregation: found.aggregation,
		splitTrain: String(found.splitTrain),
		splitVal: String(found.splitVal),
		splitTest: String(found.splitTest),
		requirements: (await listRequirements(db, found.id)).map((r) => ({
			id: String(r.id),
			name: r.name,
			description: r.description
		}))
	};
}
