import { and, asc, desc, eq, isNotNull } from 'drizzle-orm';
import { within, type Db, type Queryable } from '../db';
import {
	example,
	judge,
	judgment,
	model,
	provider,
	requirement,
	revision,
	type Judge,
	type Project
} from '../db/schema';
import type { JudgeInput } from '../../schemas/judge';
import { listRequirements } from '../projects';
import { notStaged } from '../import/staging';
import { clientFor, modelLabel } from '../providers';
import { describeProviderError } from '../providers/errors';
import type { SecretKey } from '../secrets';
import { answerOf } from '../jobs/prompt';
import { auditCut } from '../queue';
import { cancelRunsOf, judgeOf } from './run';
import { refreshTriage } from './triage';
import {
	DEFAULT_RUBRIC,
	judgeRequest,
	parseJudgment,
	renderRubric,
	type ParsedJudgment
} from './rubric';

// Judges: a model and a rubric per project, whose ratings are advice kept apart from people's.

export { DEFAULT_RUBRIC };

export type JudgeSummary = Judge & { modelLabel: string | null };

export async function listJudges(db: Db, projectId: number): Promise<JudgeSummary[]> {
	const rows = await db
		.select({ judge, modelName: model.name, providerName: provider.name })
		.from(judge)
		.leftJoin(model, eq(model.id, judge.modelId))
		.leftJoin(provider, eq(provider.id, model.providerId))
		.where(eq(judge.projectId, projectId))
		.orderBy(asc(judge.name));
	return rows.map((r) => ({
		...r.judge,
		modelLabel: r.modelName && r.providerName ? modelLabel(r.modelName, r.providerName) : null
	}));
}

export async function getJudge(db: Db, projectId: number, judgeId: number) {
	return (await listJudges(db, projectId)).find((j) => j.id === judgeId);
}

export type JudgeSaved =
	| { ok: true; judgeId: number }
	| { ok: false; status: 400 | 404 | 409; field: 'name' | 'modelId' | 'form'; message: string };

async function refusal(
	db: Queryable,
	projectId: number,
	input: JudgeInput,
	judgeId: number | null
): Promise<JudgeSaved | null> {
	const chosen = (
		await db.select({ id: model.id }).from(model).where(eq(model.id, input.modelId)).limit(1)
	)[0];
	if (!chosen) {
		return { ok: false, status: 400, field: 'modelId', message: 'That model no longer exists.' };
	}
	const named = (
		await db
			.select({ id: judge.id })
			.from(judge)
			.where(and(eq(judge.projectId, projectId), eq(judge.name, input.name)))
			.limit(1)
	)[0];
	if (named && named.id !== judgeId) {
		return {
			ok: false,
			status: 409,
			field: 'name',
			message: `This project already has a judge named “${input.name}”.`
		};
	}
	return null;
}

export async function createJudge(
	db: Db,
	projectId: number,
	input: JudgeInput,
	userId: string,
	now = new Date()
): Promise<JudgeSaved> {
	return within(db, async (tx) => {
		const refused = await refusal(tx, projectId, input, null);
		if (refused) return refused;
		const made = (
			await tx
				.insert(judge)
				.values({ projectId, ...input, createdBy: userId, createdAt: now, updatedAt: now })
				.returning({ id: judge.id })
		)[0];
		return { ok: true, judgeId: made.id };
	});
}

export async function updateJudge(
	db: Db,
	projectId: number,
	judgeId: number,
	input: JudgeInput,
	now = new Date()
): Promise<JudgeSaved> {
	return within(db, async (tx) => {
		if (!(await judgeOf(tx, projectId, judgeId)))
			return { ok: false, status: 404, field: 'form', message: 'No such judge.' };
		const refused = await refusal(tx, projectId, input, judgeId);
		if (refused) return refused;
		await tx
			.update(judge)
			.set({ ...input, updatedAt: now })
			.where(eq(judge.id, judgeId));
		return { ok: true, judgeId };
	});
}

/**
 * Removes the judge and its judgments, cancelling its runs first in the same transaction, so a
 * run never writes for a judge that is gone; people's reviews are not touched.
 */
export async function deleteJudge(
	db: Db,
	projectId: number,
	judgeId: number,
	now = new Date()
): Promise<boolean> {
	return within(db, async (tx) => {
		if (!(await judgeOf(tx, projectId, judgeId))) return false;
		await cancelRunsOf(tx, judgeId, now);
		const gone = await tx
			.delete(judge)
			.where(and(eq(judge.projectId, projectId), eq(judge.id, judgeId)))
			.returning({ id: judge.id });
		// Its ratings went with it: the queue no longer leans on them.
		if (gone.length > 0) await refreshTriage(tx, projectId);
		return gone.length > 0;
	});
}

/** The rubric as the judge would be sent it on this project, with its words filled in. */
export async function rubricAsSent(db: Db, target: Project, rubric: string) {
	return renderRubric(rubric, target, await listRequirements(db, target.id));
}

export type JudgeTrial =
	| { ok: false; message: string }
	| {
			ok: true;
			exampleId: number;
			system: string;
			user: string;
			judgment: ParsedJudgment;
			/** Requirement names by id, for showing the ratings. */
			requirementNames: Record<number, string>;
	  };

/**
 * Asks the judge about one example's current output and reads its answer, storing nothing:
 * the judge page's trial, so an admin sees the rubric at work before a run.
 */
export async function tryJudge(
	db: Db,
	key: SecretKey,
	target: Project,
	judgeId: number,
	exampleId: number | null
): Promise<JudgeTrial> {
	const found = (
		await db
			.select({ judge, model, provider })
			.from(judge)
			.leftJoin(model, eq(model.id, judge.modelId))
			.leftJoin(provider, eq(provider.id, model.providerId))
			.where(and(eq(judge.projectId, target.id), eq(judge.id, judgeId)))
			.limit(1)
	)[0];
	if (!found) return { ok: false, message: 'No such judge.' };
	if (!found.model || !found.provider) {
		return {
			ok: false,
			message: 'The judge’s model was removed: choose another model for it first.'
		};
	}
	const shown = (
		await db
			.select({ id: example.id, input: example.input, output: revision.output })
			.from(example)
			.innerJoin(revision, eq(revision.id, example.currentRevisionId))
			.where(
				and(
					eq(example.projectId, target.id),
					isNotNull(revision.output),
					notStaged(),
					exampleId !== null ? eq(example.id, exampleId) : undefined
				)
			)
			.orderBy(desc(example.id))
			.limit(1)
	)[0];
	if (!shown) {
		return {
			ok: false,
			message:
				exampleId !== null
					? `Example ${exampleId} is not in this project or has no output to judge.`
					: 'This project has no output to judge yet.'
		};
	}
	const requirements = await listRequirements(db, target.id);
	const request = judgeRequest(
		found.model.name,
		{ rubric: found.judge.rubric, temperature: found.judge.temperature },
		target,
		requirements,
		// A reference is an output people accepted; a trial has none to compare with.
		{ input: shown.input, output: shown.output ?? '', reference: null }
	);
	try {
		const completion = await clientFor(found.provider, key).chat.completions.create(request);
		return {
			ok: true,
			exampleId: shown.id,
			system: String(request.messages[0].content),
			user: String(request.messages[1].content),
			judgment: parseJudgment(answerOf(completion).content, target.ratingScale, requirements),
			requirementNames: Object.fromEntries(requirements.map((r) => [r.id, r.name]))
		};
	} catch (e) {
		return { ok: false, message: describeProviderError(e, found.provider.baseUrl) };
	}
}

export type JudgmentView = {
	judgeName: string;
	revisionNumber: number;
	rating: number;
	rationale: string;
	requirements: { name: string; rating: number; rationale: string }[];
	createdAt: Date;
};

/**
 * An example's judgments for its admin page: those of the current revision, and apart from
 * them the ones of earlier revisions, which a repair or a requeue left behind and which no
 * longer speak for the output.
 */
export async function exampleJudgments(
	db: Db,
	target: Project,
	exampleId: number
): Promise<{ current: JudgmentView[]; earlier: JudgmentView[]; audit: boolean | null }> {
	const projectId = target.id;
	const rows = await db
		.select({
			judgeName: judge.name,
			revisionId: judgment.revisionId,
			revisionNumber: revision.number,
			currentRevisionId: example.currentRevisionId,
			rating: judgment.rating,
			rationale: judgment.rationale,
			requirementRatings: judgment.requirementRatings,
			createdAt: judgment.createdAt
		})
		.from(judgment)
		.innerJoin(judge, eq(judge.id, judgment.judgeId))
		.innerJoin(revision, eq(revision.id, judgment.revisionId))
		.innerJoin(example, eq(example.id, judgment.exampleId))
		.where(and(eq(judgment.exampleId, exampleId), eq(example.projectId, projectId)))
		.orderBy(desc(revision.number), asc(judge.name));
	const names = new Map(
		// Removed requirements too: an old judgment may have rated one.
		(
			await db
				.select({ id: requirement.id, name: requirement.name })
				.from(requirement)
				.where(eq(requirement.projectId, projectId))
		).map((r) => [String(r.id), r.name])
	);
	const views = rows.map((r) => ({
		current: r.revisionId === r.currentRevisionId,
		view: {
			judgeName: r.judgeName,
			revisionNumber: r.revisionNumber,
			rating: r.rating,
			rationale: r.rationale,
			requirements: Object.entries(
				JSON.parse(r.requirementRatings) as Record<string, { rating: number; rationale: string }>
			).map(([id, rated]) => ({ name: names.get(id) ?? 'A removed requirement', ...rated })),
			createdAt: r.createdAt
		}
	}));
	const keyed = (
		await db
			.select({ randomKey: example.randomKey })
			.from(example)
			.where(and(eq(example.id, exampleId), eq(example.projectId, projectId)))
			.limit(1)
	)[0];
	return {
		current: views.filter((v) => v.current).map((v) => v.view),
		earlier: views.filter((v) => !v.current).map((v) => v.view),
		audit:
			target.queueOrder === 'judged' && keyed ? keyed.randomKey < auditCut(target.auditShare) : null
	};
}
