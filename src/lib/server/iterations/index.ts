import { and, asc, desc, eq, inArray, isNull, max } from 'drizzle-orm';
import type { Db, Queryable, Tx } from '../db';
import {
	dataset,
	datasetItem,
	example,
	fineTune,
	iteration,
	job,
	model,
	project,
	type Dataset,
	type Iteration,
	type ModelRetirement,
	type Project,
	type Split
} from '../db/schema';
import { createJob, jobsProgress, type JobProgress } from '../jobs';
import {
	datasetChange,
	discardStagedDataset,
	getDataset,
	publishDataset,
	stageDataset,
	type DatasetChange
} from '../datasets';
import {
	registerServedModel,
	startFineTune,
	type FineTuneSpec,
	type ServedModel
} from '../finetune';
import type { SecretKey } from '../secrets';
import { EVALUATION_SETTING_DEFAULTS, evaluationSettingsSchema } from '../../schemas/iteration';
import { missingModelIds } from '../providers';
import type { DatasetFilter } from '../../schemas/dataset';
import { describeRetirement, listRetirements, retirementOf } from '../finetune/retirement';
import type { JobSettings } from '../../schemas/job';

// The re-tune loop. An evaluation run is a job of kind "evaluation": a model answers a
// dataset's held-out inputs and its outputs enter the review queue like any other, blind. An
// iteration ties one turn together: the dataset frozen for it, the fine-tune made from that,
// and the evaluation of the student once the fine-tune succeeds.

export type EvaluationSettings = Omit<JobSettings, 'samplesPerInput' | 'reasoning'>;

export type EvaluationSpec = {
	modelIds: number[];
	datasetId: number;
	splits: Split[];
	settings: EvaluationSettings;
};

/** The distinct inputs of a dataset's examples in the given splits, in the dataset's order. */
export async function datasetInputs(
	db: Queryable,
	datasetId: number,
	splits: Split[]
): Promise<string[]> {
	const rows = await db
		.select({ input: example.input })
		.from(datasetItem)
		.innerJoin(example, eq(example.id, datasetItem.exampleId))
		.where(and(eq(datasetItem.datasetId, datasetId), inArray(datasetItem.split, splits)))
		.orderBy(asc(datasetItem.exampleId));
	return [...new Set(rows.map((r) => r.input))];
}

const splitWords = (splits: Split[]) =>
	splits.length === 1 ? `${splits[0]} split` : `${splits.join(' and ')} splits`;

/**
 * Starts an evaluation run: each model answers every input of the dataset's chosen splits
 * once. Its outputs are examples of source "evaluation", in the queue beside all other work.
 */
export async function startEvaluation(
	db: Db | Tx,
	target: Project,
	userId: string | null,
	spec: EvaluationSpec,
	now = new Date()
): Promise<{ ok: true; jobId: number } | { ok: false; message: string }> {
	const missing = await missingModelIds(db, spec.modelIds);
	if (missing.length > 0) return { ok: false, message: `No model with id ${missing.join(', ')}.` };
	const frozen = await getDataset(db, target.id, spec.datasetId);
	if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
	const inputs = await datasetInputs(db, frozen.id, spec.splits);
	if (inputs.length === 0) {
		return {
			ok: false,
			message: `“${frozen.name}” has no inputs in its ${splitWords(spec.splits)} to evaluate on.`
		};
	}
	const jobId = await createJob(
		db,
		target,
		userId,
		{
			kind: 'evaluation',
			// One answer per model and input, so a model named twice is asked once.
			modelIds: [...new Set(spec.modelIds)],
			settings: { ...spec.settings, samplesPerInput: 1, reasoning: false },
			inputs,
			source: {
				kind: 'examples',
				description: `the ${splitWords(spec.splits)} of “${frozen.name}”`
			}
		},
		now
	);
	return { ok: true, jobId };
}

export type NextIterationSpec = {
	name: string;
	filter: DatasetFilter;
	fineTune: FineTuneSpec;
	evaluation: { splits: Split[]; settings: EvaluationSettings };
};

export type NextIterationResult =
	| { ok: true; iterationId: number; number: number; datasetId: number; fineTuneId: number }
	| { ok: false; message: string };

type Refusal = { ok: false; message: string };

/** Runs `work` as one immediate transaction, rolled back whole when it answers a refusal. */
async function unlessRefused<T extends { ok: true }>(
	db: Db,
	work: (tx: Tx) => Promise<T | Refusal>
): Promise<T | Refusal> {
	class Undo extends Error {
		constructor(readonly refusal: Refusal) {
			super(refusal.message);
		}
	}
	try {
		return await db.transaction(async (tx) => {
			const result = await work(tx);
			if (!result.ok) throw new Undo(result);
			return result;
		});
	} catch (e) {
		if (e instanceof Undo) return e.refusal;
		throw e;
	}
}

/** Writes the project's next iteration: a dataset, its fine-tune and how to evaluate its student. */
async function addIteration(
	tx: Tx,
	target: Project,
	fields: { datasetId: number; fineTuneId: number; evaluation: NextIterationSpec['evaluation'] },
	userId: string,
	now: Date
) {
	const last = (
		await tx
			.select({ number: max(iteration.number) })
			.from(iteration)
			.where(eq(iteration.projectId, target.id))
			.limit(1)
	)[0];
	const number = (last?.number ?? 0) + 1;
	const created = (
		await tx
			.insert(iteration)
			.values({
				projectId: target.id,
				number,
				datasetId: fields.datasetId,
				fineTuneId: fields.fineTuneId,
				evaluationConfig: JSON.stringify(fields.evaluation),
				createdBy: userId,
				createdAt: now
			})
			.returning({ id: iteration.id })
	)[0];
	return { iterationId: created.id, number };
}

/**
 * The "next iteration" action: the next dataset is written aside (`stageDataset`, which holds
 * the database for no longer than a slice at a time), then one transaction makes it readable,
 * starts its fine-tune and remembers how to evaluate the student; a refusal keeps none of it.
 * The evaluation run itself is queued when the fine-tune succeeds (queueIterationEvaluation).
 */
export async function startNextIteration(
	db: Db,
	target: Project,
	userId: string,
	spec: NextIterationSpec,
	now = new Date()
): Promise<NextIterationResult> {
	const staged = await stageDataset(db, target, spec.name, spec.filter, userId, now);
	if (!staged.ok) return staged;
	let result: NextIterationResult;
	try {
		result = await unlessRefused(db, async (tx) => {
			await publishDataset(tx, staged);
			const heldOut = spec.evaluation.splits.reduce((n, s) => n + staged.counts[s], 0);
			if (heldOut === 0) {
				return {
					ok: false,
					message: `The next dataset would have no examples in its ${splitWords(spec.evaluation.splits)}, so its student could not be evaluated. Review more examples first, or evaluate on other splits.`
				};
			}
			const started = await startFineTune(tx, target, staged.datasetId, spec.fineTune, userId, now);
			if (!started.ok) return { ok: false, message: started.message };
			const fields = {
				datasetId: staged.datasetId,
				fineTuneId: started.fineTuneId,
				evaluation: spec.evaluation
			};
			const added = await addIteration(tx, target, fields, userId, now);
			return { ok: true, ...added, datasetId: staged.datasetId, fineTuneId: started.fineTuneId };
		});
	} catch (e) {
		await discardStagedDataset(db, staged.datasetId);
		throw e;
	}
	if (!result.ok) await discardStagedDataset(db, staged.datasetId);
	return result;
}

/** How the next student is evaluated: as the last iteration's was, else on the test split. */
async function lastEvaluationConfig(
	db: Queryable,
	projectId: number
): Promise<NextIterationSpec['evaluation']> {
	const last = (
		await db
			.select({ config: iteration.evaluationConfig })
			.from(iteration)
			.where(eq(iteration.projectId, projectId))
			.orderBy(desc(iteration.number))
			.limit(1)
	)[0];
	if (last) return JSON.parse(last.config) as NextIterationSpec['evaluation'];
	return {
		splits: ['test'],
		settings: evaluationSettingsSchema.parse(EVALUATION_SETTING_DEFAULTS)
	};
}

export type ServedIterationResult =
	{ ok: true; iterationId: number; number: number; fineTuneId: number; jobId: number } | Refusal;

/**
 * A student trained on one's own GPUs from a dataset's bundle joins the loop, in one
 * transaction: the served model is registered, the iteration written, and its evaluation run
 * queued with the last iteration's evaluation settings.
 */
export async function registerServedIteration(
	db: Db,
	key: SecretKey,
	target: Project,
	datasetId: number,
	served: ServedModel,
	userId: string,
	now = new Date()
): Promise<ServedIterationResult> {
	return await unlessRefused(db, async (tx) => {
		const frozen = await getDataset(tx, target.id, datasetId);
		if (!frozen) return { ok: false, message: 'No such dataset in this project.' };
		const evaluation = await lastEvaluationConfig(tx, target.id);
		if ((await datasetInputs(tx, frozen.id, evaluation.splits)).length === 0) {
			return {
				ok: false,
				message: `“${frozen.name}” has no inputs in its ${splitWords(evaluation.splits)} to evaluate the model on. Untick “Evaluate it” to register the model alone.`
			};
		}
		const registered = await registerServedModel(tx, key, target, frozen.id, served, userId, now);
		if (!registered.ok) return registered;
		const fields = { datasetId: frozen.id, fineTuneId: registered.fineTuneId, evaluation };
		const added = await addIteration(tx, target, fields, userId, now);
		const jobId = await queueIterationEvaluation(
			tx,
			registered.fineTuneId,
			registered.modelId,
			now
		);
		if (jobId === null) throw new Error('The evaluation run was not queued.');
		return { ok: true, ...added, fineTuneId: registered.fineTuneId, jobId };
	});
}

/**
 * Called in the transaction that records a fine-tune's success: if the fine-tune belongs to
 * an iteration not yet evaluated, its student's evaluation run is queued. Returns the job.
 */
export async function queueIterationEvaluation(
	tx: Tx,
	fineTuneId: number,
	studentModelId: number,
	now = new Date()
): Promise<number | null> {
	const found = (
		await tx
			.select({ iteration, projectId: fineTune.projectId, createdBy: fineTune.createdBy })
			.from(iteration)
			.innerJoin(fineTune, eq(fineTune.id, iteration.fineTuneId))
			.where(and(eq(iteration.fineTuneId, fineTuneId), isNull(iteration.evaluationJobId)))
			.limit(1)
	)[0];
	if (!found || found.iteration.datasetId === null) return null;
	const target = (
		await tx.select().from(project).where(eq(project.id, found.projectId)).limit(1)
	)[0];
	if (!target) return null;
	const config = JSON.parse(found.iteration.evaluationConfig) as NextIterationSpec['evaluation'];
	const started = await startEvaluation(
		tx,
		target,
		found.createdBy,
		{
			modelIds: [studentModelId],
			datasetId: found.iteration.datasetId,
			splits: config.splits,
			settings: config.settings
		},
		now
	);
	if (!started.ok) return null;
	await tx
		.update(iteration)
		.set({ evaluationJobId: started.jobId })
		.where(eq(iteration.id, found.iteration.id));
	return started.jobId;
}

export type IterationSummary = {
	iteration: Iteration;
	dataset: Dataset | null;
	/** What changed from the dataset before it; null for the first. */
	change: DatasetChange | null;
	fineTune: { id: number; status: string; error: string | null; baseModel: string } | null;
	student: { id: number; name: string } | null;
	/** The warning for a student whose base model was retired or retires soon. */
	retirement: string | null;
	evaluation: JobProgress | null;
};

function retirementNote(
	retirements: ModelRetirement[],
	baseModel: string | null,
	now: Date
): string | null {
	const due = baseModel === null ? null : retirementOf(retirements, baseModel, now);
	return due && baseModel !== null ? describeRetirement(baseModel, due) : null;
}

/** The project's iterations, newest first, each with its dataset, fine-tune and evaluation. */
export async function listIterations(
	db: Db,
	projectId: number,
	now = new Date()
): Promise<IterationSummary[]> {
	const retirements = await listRetirements(db);
	const rows = await db
		.select({ iteration, dataset, fineTune, student: model, evaluation: job })
		.from(iteration)
		.leftJoin(dataset, eq(dataset.id, iteration.datasetId))
		.leftJoin(fineTune, eq(fineTune.id, iteration.fineTuneId))
		.leftJoin(model, eq(model.id, fineTune.resultModelId))
		.leftJoin(job, eq(job.id, iteration.evaluationJobId))
		.where(eq(iteration.projectId, projectId))
		.orderBy(desc(iteration.number));
	const evaluations = rows.flatMap((row) => (row.evaluation ? [row.evaluation] : []));
	const progress = new Map((await jobsProgress(db, evaluations)).map((p) => [p.id, p]));
	const summaries: IterationSummary[] = [];
	for (const row of rows)
		summaries.push({
			iteration: row.iteration,
			dataset: row.dataset,
			change:
				row.dataset?.previousDatasetId != null
					? await datasetChange(db, row.dataset.previousDatasetId, row.dataset.id)
					: null,
			fineTune: row.fineTune && {
				id: row.fineTune.id,
				status: row.fineTune.status,
				error: row.fineTune.error,
				baseModel: row.fineTune.baseModel
			},
			student: row.student && { id: row.student.id, name: row.student.name },
			retirement: retirementNote(retirements, row.fineTune?.baseModel ?? null, now),
			evaluation: row.evaluation ? progress.get(row.evaluation.id)! : null
		});
	return summaries;
}

/**
 * What the next iteration's form starts from: the last iteration's fine-tune and evaluation,
 * so a turn of the loop is one click when nothing changes.
 */
export async function nextIterationDefaults(db: Db, projectId: number) {
	const last = (
		await db
			.select({ iteration, fineTune })
			.from(iteration)
			.leftJoin(fineTune, eq(fineTune.id, iteration.fineTuneId))
			.where(eq(iteration.projectId, projectId))
			.orderBy(desc(iteration.number))
			.limit(1)
	)[0];
	const number = (last?.iteration.number ?? 0) + 1;
	const tune = last?.fineTune;
	const hyper = tune
		? (JSON.parse(tune.hyperparameters) as Record<string, number | string | null>)
		: {};
	const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
	const evaluation = last
		? (JSON.parse(last.iteration.evaluationConfig) as NextIterationSpec['evaluation'])
		: null;
	return {
		number,
		name: `iteration ${number}`,
		fineTune: (tune
			? {
					adapter: tune.adapter === 'bundle' ? 'openai' : tune.adapter,
					method: tune.method,
					providerId: text(tune.providerId),
					baseModel: tune.baseModel,
					suffix: text(hyper.suffix),
					epochs: text(hyper.epochs),
					batchSize: text(hyper.batchSize),
					learningRateMultiplier: text(hyper.learningRateMultiplier),
					learningRate: text(hyper.learningRate),
					loraRank: text(hyper.loraRank),
					maxContextLength: text(hyper.maxContextLength),
					beta: text(hyper.beta)
				}
			: {}) as Record<string, string>,
		splits: evaluation?.splits ?? (['test'] as Split[]),
		evaluation: evaluation
			? Object.fromEntries(
					Object.entries(evaluation.settings).map(([key, value]) => [key, text(value)])
				)
			: {}
	};
}
