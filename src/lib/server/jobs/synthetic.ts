import { and, asc, eq, inArray, isNull, TransactionRollbackError } from 'drizzle-orm';
import { type Db, changedRows } from '../db';
import {
	project,
	syntheticInput,
	syntheticRun,
	syntheticTopic,
	type Project,
	type SyntheticRun,
	type SyntheticTopic
} from '../db/schema';
import { describeProviderError } from '../providers/errors';
import { modelClient } from '../providers';
import type { SecretKey } from '../secrets';
import type { JobSettings } from '../../schemas/job';
import { createJob } from '.';
import { requireOpenProject } from '../projects';
import { threadOf } from '../../conversations';

// Synthetic inputs from a topic tree. The teacher proposes `breadth` subtopics of each topic,
// `depth` levels down, then `inputsPerLeaf` inputs for each leaf. The admin edits the tree and
// the drafted inputs (all stored here) before a distillation job asks for their outputs.

export type SyntheticSpec = {
	modelId: number;
	rootTopic: string;
	guidance: string;
	breadth: number;
	depth: number;
	inputsPerLeaf: number;
};

export type GrowResult = { ok: true } | { ok: false; message: string };

/** Calls made at once while the admin waits for proposals. */
const PARALLEL_CALLS = 4;

export async function createRun(
	db: Db,
	projectId: number,
	spec: SyntheticSpec,
	userId: string
): Promise<number> {
	return await db.transaction(async (tx) => {
		await requireOpenProject(tx, projectId);
		const run = (
			await tx
				.insert(syntheticRun)
				.values({
					projectId,
					modelId: spec.modelId,
					guidance: spec.guidance,
					breadth: spec.breadth,
					depth: spec.depth,
					inputsPerLeaf: spec.inputsPerLeaf,
					createdBy: userId,
					createdAt: new Date()
				})
				.returning({ id: syntheticRun.id })
		)[0];
		await tx.insert(syntheticTopic).values({ runId: run.id, name: spec.rootTopic, depth: 0 });
		return run.id;
	});
}

export async function getRun(
	db: Db,
	projectId: number,
	runId: number
): Promise<SyntheticRun | undefined> {
	return (
		await db
			.select()
			.from(syntheticRun)
			.where(and(eq(syntheticRun.id, runId), eq(syntheticRun.projectId, projectId)))
			.limit(1)
	)[0];
}

export async function listRuns(db: Db, projectId: number) {
	return await db
		.select({ id: syntheticRun.id, jobId: syntheticRun.jobId, root: syntheticTopic.name })
		.from(syntheticRun)
		.innerJoin(
			syntheticTopic,
			and(eq(syntheticTopic.runId, syntheticRun.id), isNull(syntheticTopic.parentId))
		)
		.where(eq(syntheticRun.projectId, projectId))
		.orderBy(asc(syntheticRun.id));
}

export type TopicNode = { id: number; name: string; depth: number; children: TopicNode[] };

export async function topicTree(db: Db, runId: number): Promise<TopicNode | null> {
	const rows = await db
		.select()
		.from(syntheticTopic)
		.where(eq(syntheticTopic.runId, runId))
		.orderBy(asc(syntheticTopic.id));
	const nodes = new Map(rows.map((r) => [r.id, { ...r, children: [] as TopicNode[] }]));
	let root: TopicNode | null = null;
	for (const row of rows) {
		const node = nodes.get(row.id)!;
		if (row.parentId === null) root = node;
		else nodes.get(row.parentId)?.children.push(node);
	}
	const strip = (n: TopicNode & { parentId?: unknown; runId?: unknown }): TopicNode => ({
		id: n.id,
		name: n.name,
		depth: n.depth,
		children: n.children.map(strip)
	});
	return root && strip(root);
}

export async function listDrafts(db: Db, runId: number) {
	return await db
		.select({ id: syntheticInput.id, topicId: syntheticInput.topicId, text: syntheticInput.text })
		.from(syntheticInput)
		.where(eq(syntheticInput.runId, runId))
		.orderBy(asc(syntheticInput.id));
}

/** The path from the root to a topic, "root › child › leaf". */
function pathOf(topics: Map<number, SyntheticTopic>, topic: SyntheticTopic): string {
	const names: string[] = [];
	for (let at: SyntheticTopic | undefined = topic; at;) {
		names.unshift(at.name);
		at = at.parentId === null ? undefined : topics.get(at.parentId);
	}
	return names.join(' › ');
}

function contextOf(target: Pick<Project, 'instruction'>, guidance: string): string {
	return [
		'You help build a varied, realistic set of inputs for this task:',
		target.instruction.trim() || '(no instruction given)',
		guidance.trim() ? `Guidance from the team: ${guidance.trim()}` : ''
	]
		.filter(Boolean)
		.join('\n\n');
}

async function askForList(
	call: NonNullable<Awaited<ReturnType<typeof modelClient>>>,
	system: string,
	request: string,
	field: 'topics' | 'inputs',
	count: number
): Promise<string[]> {
	const completion = await call.client.chat.completions.create({
		model: call.model.name,
		messages: [
			{ role: 'system', content: system },
			{ role: 'user', content: request }
		],
		response_format: {
			type: 'json_schema',
			json_schema: {
				name: field,
				schema: {
					type: 'object',
					properties: {
						[field]: { type: 'array', items: { type: 'string' }, minItems: count }
					},
					required: [field]
				}
			}
		}
	});
	const content = completion.choices[0]?.message?.content ?? '';
	let parsed: unknown;
	try {
		parsed = JSON.parse(content);
	} catch {
		throw new Error(`The model did not answer with JSON: ${content.slice(0, 120)}`);
	}
	const list = (parsed as Record<string, unknown>)?.[field];
	if (!Array.isArray(list)) throw new Error(`The model's answer has no "${field}" list.`);
	return list
		.filter((v): v is string => typeof v === 'string' && v.trim() !== '')
		.map((v) => v.trim())
		.slice(0, count);
}

/** Runs the calls a few at a time; the first failure stops the rest and is returned. */
async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
	for (let i = 0; i < items.length; i += PARALLEL_CALLS) {
		await Promise.all(items.slice(i, i + PARALLEL_CALLS).map(work));
	}
}

async function teacherFor(db: Db, key: SecretKey, run: SyntheticRun) {
	if (run.modelId === null) return null;
	return await modelClient(db, key, run.modelId, { timeoutMs: 60_000, maxRetries: 2 });
}

/**
 * Proposes subtopics for every topic above the tree's depth that has none yet, level by
 * level. Topics the admin edited or added are kept; only childless ones are grown.
 */
export async function growTree(db: Db, key: SecretKey, run: SyntheticRun): Promise<GrowResult> {
	const call = await teacherFor(db, key, run);
	if (!call) return { ok: false, message: 'The run’s model was removed; start a new run.' };
	const target = (
		await db.select().from(project).where(eq(project.id, run.projectId)).limit(1)
	)[0]!;
	const system = contextOf(target, run.guidance);
	try {
		for (let level = 0; level < run.depth; level++) {
			const topics = await db.select().from(syntheticTopic).where(eq(syntheticTopic.runId, run.id));
			const byId = new Map(topics.map((t) => [t.id, t]));
			const parents = new Set(topics.map((t) => t.parentId));
			const toGrow = topics.filter((t) => t.depth === level && !parents.has(t.id));
			await inBatches(toGrow, async (topic) => {
				const names = await askForList(
					call,
					system,
					`List ${run.breadth} distinct subtopics of “${pathOf(byId, topic)}” that inputs for this task could be about. Answer as JSON: {"topics": [...]}.`,
					'topics',
					run.breadth
				);
				if (names.length === 0) return;
				await db.transaction(async (tx) =>
					tx
						.insert(syntheticTopic)
						.values(
							names.map((name) => ({ runId: run.id, parentId: topic.id, name, depth: level + 1 }))
						)
				);
			});
		}
		return { ok: true };
	} catch (e) {
		return { ok: false, message: describeProviderError(e, call.provider.baseUrl) };
	}
}

/** Drafts inputs for every leaf that has none yet. */
export async function draftInputs(db: Db, key: SecretKey, run: SyntheticRun): Promise<GrowResult> {
	const call = await teacherFor(db, key, run);
	if (!call) return { ok: false, message: 'The run’s model was removed; start a new run.' };
	const target = (
		await db.select().from(project).where(eq(project.id, run.projectId)).limit(1)
	)[0]!;
	const system = contextOf(target, run.guidance);
	const topics = await db.select().from(syntheticTopic).where(eq(syntheticTopic.runId, run.id));
	const byId = new Map(topics.map((t) => [t.id, t]));
	const parents = new Set(topics.map((t) => t.parentId));
	const drafted = new Set((await listDrafts(db, run.id)).map((d) => d.topicId));
	const leaves = topics.filter((t) => !parents.has(t.id) && !drafted.has(t.id));
	try {
		await inBatches(leaves, async (leaf) => {
			const inputs = await askForList(
				call,
				system,
				`Write ${run.inputsPerLeaf} different inputs for this task about “${pathOf(byId, leaf)}”, each complete on its own, as a real user would write them. Answer as JSON: {"inputs": [...]}.`,
				'inputs',
				run.inputsPerLeaf
			);
			if (inputs.length === 0) return;
			await db.transaction(async (tx) =>
				tx
					.insert(syntheticInput)
					.values(
						inputs.map((text) => ({ runId: run.id, topicId: leaf.id, text, createdAt: new Date() }))
					)
			);
		});
		return { ok: true };
	} catch (e) {
		return { ok: false, message: describeProviderError(e, call.provider.baseUrl) };
	}
}

async function topicOfRun(db: Db, runId: number, topicId: number) {
	return (
		await db
			.select()
			.from(syntheticTopic)
			.where(and(eq(syntheticTopic.id, topicId), eq(syntheticTopic.runId, runId)))
			.limit(1)
	)[0];
}

export async function renameTopic(
	db: Db,
	runId: number,
	topicId: number,
	name: string
): Promise<boolean> {
	return (
		(await changedRows(
			db.transaction(async (tx) =>
				tx
					.update(syntheticTopic)
					.set({ name })
					.where(and(eq(syntheticTopic.id, topicId), eq(syntheticTopic.runId, runId)))
			)
		)) > 0
	);
}

/** Removes a topic with everything under it and their drafts; the root stays. */
export async function removeTopic(db: Db, runId: number, topicId: number): Promise<boolean> {
	const found = await topicOfRun(db, runId, topicId);
	if (!found || found.parentId === null) return false;
	return (
		(await changedRows(
			db.transaction(async (tx) => tx.delete(syntheticTopic).where(eq(syntheticTopic.id, topicId)))
		)) > 0
	);
}

export async function addTopic(
	db: Db,
	runId: number,
	parentId: number,
	name: string
): Promise<boolean> {
	const parent = await topicOfRun(db, runId, parentId);
	if (!parent) return false;
	await db.transaction(async (tx) =>
		tx.insert(syntheticTopic).values({ runId, parentId, name, depth: parent.depth + 1 })
	);
	return true;
}

export async function editDraft(
	db: Db,
	runId: number,
	draftId: number,
	text: string
): Promise<boolean> {
	return (
		(await changedRows(
			db.transaction(async (tx) =>
				tx
					.update(syntheticInput)
					.set({ text })
					.where(and(eq(syntheticInput.id, draftId), eq(syntheticInput.runId, runId)))
			)
		)) > 0
	);
}

export async function removeDrafts(db: Db, runId: number, draftIds: number[]): Promise<number> {
	if (draftIds.length === 0) return 0;
	return await changedRows(
		db.transaction(async (tx) =>
			tx
				.delete(syntheticInput)
				.where(and(eq(syntheticInput.runId, runId), inArray(syntheticInput.id, draftIds)))
		)
	);
}

/** Starts the distillation job over the drafts, once: the run remembers its job. */
export async function startFromDrafts(
	db: Db,
	target: Project,
	run: SyntheticRun,
	userId: string,
	modelIds: number[],
	settings: JobSettings
): Promise<{ ok: true; jobId: number } | { ok: false; message: string }> {
	if (run.jobId !== null) return { ok: false, message: 'This run has started its job already.' };
	// A conversation project's drafts are each a thread's first question.
	const inputs = (await listDrafts(db, run.id)).map((d) =>
		target.inputKind === 'conversation' ? JSON.stringify(threadOf(d.text)) : d.text
	);
	if (inputs.length === 0) return { ok: false, message: 'There are no drafted inputs to answer.' };
	const root = (await topicTree(db, run.id))?.name ?? 'topic tree';
	try {
		return await db.transaction(async (tx) => {
			const jobId = await createJob(tx, target, userId, {
				modelIds,
				settings,
				inputs,
				source: { kind: 'synthetic', description: `synthetic inputs on “${root}”` }
			});
			// Two clicks at once: only the first claims the run; the second's job is rolled back.
			const claimed = await changedRows(
				tx
					.update(syntheticRun)
					.set({ jobId })
					.where(and(eq(syntheticRun.id, run.id), isNull(syntheticRun.jobId)))
			);
			if (claimed === 0) throw new TransactionRollbackError();
			return { ok: true, jobId } as const;
		});
	} catch (e) {
		if (e instanceof TransactionRollbackError) {
			return { ok: false, message: 'This run has started its job already.' };
		}
		throw e;
	}
}

export async function deleteRun(db: Db, runId: number): Promise<void> {
	await db.transaction(async (tx) => tx.delete(syntheticRun).where(eq(syntheticRun.id, runId)));
}
