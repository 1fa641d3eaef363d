import { and, asc, eq, inArray, isNull, TransactionRollbackError } from 'drizzle-orm';
import type { Db } from '../db';
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

export function createRun(db: Db, projectId: number, spec: SyntheticSpec, userId: string): number {
	return db.transaction((tx) => {
		const run = tx
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
			.get();
		tx.insert(syntheticTopic).values({ runId: run.id, name: spec.rootTopic, depth: 0 }).run();
		return run.id;
	});
}

export function getRun(db: Db, projectId: number, runId: number): SyntheticRun | undefined {
	return db
		.select()
		.from(syntheticRun)
		.where(and(eq(syntheticRun.id, runId), eq(syntheticRun.projectId, projectId)))
		.get();
}

export function listRuns(db: Db, projectId: number) {
	return db
		.select({ id: syntheticRun.id, jobId: syntheticRun.jobId, root: syntheticTopic.name })
		.from(syntheticRun)
		.innerJoin(
			syntheticTopic,
			and(eq(syntheticTopic.runId, syntheticRun.id), isNull(syntheticTopic.parentId))
		)
		.where(eq(syntheticRun.projectId, projectId))
		.orderBy(asc(syntheticRun.id))
		.all();
}

export type TopicNode = { id: number; name: string; depth: number; children: TopicNode[] };

export function topicTree(db: Db, runId: number): TopicNode | null {
	const rows = db
		.select()
		.from(syntheticTopic)
		.where(eq(syntheticTopic.runId, runId))
		.orderBy(asc(syntheticTopic.id))
		.all();
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

export function listDrafts(db: Db, runId: number) {
	return db
		.select({ id: syntheticInput.id, topicId: syntheticInput.topicId, text: syntheticInput.text })
		.from(syntheticInput)
		.where(eq(syntheticInput.runId, runId))
		.orderBy(asc(syntheticInput.id))
		.all();
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
	call: NonNullable<ReturnType<typeof modelClient>>,
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

function teacherFor(db: Db, key: SecretKey, run: SyntheticRun) {
	if (run.modelId === null) return null;
	return modelClient(db, key, run.modelId, { timeoutMs: 60_000, maxRetries: 2 });
}

/**
 * Proposes subtopics for every topic above the tree's depth that has none yet, level by
 * level. Topics the admin edited or added are kept; only childless ones are grown.
 */
export async function growTree(db: Db, key: SecretKey, run: SyntheticRun): Promise<GrowResult> {
	const call = teacherFor(db, key, run);
	if (!call) return { ok: false, message: 'The run’s model was removed; start a new run.' };
	const target = db.select().from(project).where(eq(project.id, run.projectId)).get()!;
	const system = contextOf(target, run.guidance);
	try {
		for (let level = 0; level < run.depth; level++) {
			const topics = db.select().from(syntheticTopic).where(eq(syntheticTopic.runId, run.id)).all();
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
				db.insert(syntheticTopic)
					.values(
						names.map((name) => ({ runId: run.id, parentId: topic.id, name, depth: level + 1 }))
					)
					.run();
			});
		}
		return { ok: true };
	} catch (e) {
		return { ok: false, message: describeProviderError(e, call.provider.baseUrl) };
	}
}

/** Drafts inputs for every leaf that has none yet. */
export async function draftInputs(db: Db, key: SecretKey, run: SyntheticRun): Promise<GrowResult> {
	const call = teacherFor(db, key, run);
	if (!call) return { ok: false, message: 'The run’s model was removed; start a new run.' };
	const target = db.select().from(project).where(eq(project.id, run.projectId)).get()!;
	const system = contextOf(target, run.guidance);
	const topics = db.select().from(syntheticTopic).where(eq(syntheticTopic.runId, run.id)).all();
	const byId = new Map(topics.map((t) => [t.id, t]));
	const parents = new Set(topics.map((t) => t.parentId));
	const drafted = new Set(listDrafts(db, run.id).map((d) => d.topicId));
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
			db.insert(syntheticInput)
				.values(
					inputs.map((text) => ({ runId: run.id, topicId: leaf.id, text, createdAt: new Date() }))
				)
				.run();
		});
		return { ok: true };
	} catch (e) {
		return { ok: false, message: describeProviderError(e, call.provider.baseUrl) };
	}
}

function topicOfRun(db: Db, runId: number, topicId: number) {
	return db
		.select()
		.from(syntheticTopic)
		.where(and(eq(syntheticTopic.id, topicId), eq(syntheticTopic.runId, runId)))
		.get();
}

export function renameTopic(db: Db, runId: number, topicId: number, name: string): boolean {
	return (
		db
			.update(syntheticTopic)
			.set({ name })
			.where(and(eq(syntheticTopic.id, topicId), eq(syntheticTopic.runId, runId)))
			.run().changes > 0
	);
}

/** Removes a topic with everything under it and their drafts; the root stays. */
export function removeTopic(db: Db, runId: number, topicId: number): boolean {
	const found = topicOfRun(db, runId, topicId);
	if (!found || found.parentId === null) return false;
	return db.delete(syntheticTopic).where(eq(syntheticTopic.id, topicId)).run().changes > 0;
}

export function addTopic(db: Db, runId: number, parentId: number, name: string): boolean {
	const parent = topicOfRun(db, runId, parentId);
	if (!parent) return false;
	db.insert(syntheticTopic)
		.values({ runId, parentId, name, depth: parent.depth + 1 })
		.run();
	return true;
}

export function editDraft(db: Db, runId: number, draftId: number, text: string): boolean {
	return (
		db
			.update(syntheticInput)
			.set({ text })
			.where(and(eq(syntheticInput.id, draftId), eq(syntheticInput.runId, runId)))
			.run().changes > 0
	);
}

export function removeDrafts(db: Db, runId: number, draftIds: number[]): number {
	if (draftIds.length === 0) return 0;
	return db
		.delete(syntheticInput)
		.where(and(eq(syntheticInput.runId, runId), inArray(syntheticInput.id, draftIds)))
		.run().changes;
}

/** Starts the distillation job over the drafts, once: the run remembers its job. */
export function startFromDrafts(
	db: Db,
	target: Project,
	run: SyntheticRun,
	userId: string,
	modelIds: number[],
	settings: JobSettings
): { ok: true; jobId: number } | { ok: false; message: string } {
	if (run.jobId !== null) return { ok: false, message: 'This run has started its job already.' };
	const inputs = listDrafts(db, run.id).map((d) => d.text);
	if (inputs.length === 0) return { ok: false, message: 'There are no drafted inputs to answer.' };
	const root = topicTree(db, run.id)?.name ?? 'topic tree';
	try {
		return db.transaction((tx) => {
			const jobId = createJob(tx, target, userId, {
				modelIds,
				settings,
				inputs,
				source: { kind: 'synthetic', description: `synthetic inputs on “${root}”` }
			});
			// Two clicks at once: only the first claims the run; the second's job is rolled back.
			const claimed = tx
				.update(syntheticRun)
				.set({ jobId })
				.where(and(eq(syntheticRun.id, run.id), isNull(syntheticRun.jobId)))
				.run().changes;
			if (claimed === 0) tx.rollback();
			return { ok: true, jobId } as const;
		});
	} catch (e) {
		if (e instanceof TransactionRollbackError) {
			return { ok: false, message: 'This run has started its job already.' };
		}
		throw e;
	}
}

export function deleteRun(db: Db, runId: number): void {
	db.delete(syntheticRun).where(eq(syntheticRun.id, runId)).run();
}
