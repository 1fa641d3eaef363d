import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../db';
import {
	dataset,
	example,
	fineTune,
	iteration,
	job,
	jobItem,
	model,
	provider,
	review,
	revision,
	type Project
} from '../db/schema';
import type { Rating, Statistic } from '../../agreement';
import { aggregate } from '../../ratings';
import { alphaOf, levelsOf } from '../agreement';
import { wilsonInterval } from '../../agreement';
import { labelScoresOf, type LabelScores } from '../labelAgreement';
import { yieldToOthers } from '../longWork';

// The iteration page's figures, read by the page and the API alike. Every model with outputs
// from an evaluation run is measured on the held-out (test split) inputs it answered. A model's
// output is judged by the reviews of the revision it wrote: its final rating while it is the
// current revision (or the adjudicated one), else, once a person repaired it, the aggregate of
// the reviews it had; a repair is itself a judgment that the output fell short.

function quantile(sorted: number[], q: number): number | null {
	if (sorted.length === 0) return null;
	const at = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
	return sorted[Math.max(0, at)];
}

/** One model's answer to one input in an evaluation run; its texts are read only when shown. */
export type Answer = {
	modelId: number;
	exampleId: number;
	inputHash: string;
	split: 'train' | 'val' | 'test';
	rating: number | null;
	repaired: boolean;
	revisionId: number;
	cost: number;
	latencyMs: number | null;
};

export type EvaluationAnswers = {
	answers: Answer[];
	/** Reviews of the answers' own revisions: revision → (annotator → rating). */
	reviews: Map<number, Map<string, number>>;
	/** Each model's latest answer to each held-out input (inputHash → answer). */
	heldOut: Map<number, Map<string, Answer>>;
};

/** The answers and their reviews are read this many rows a query, with others let in between. */
const ANSWERS_PAGE = 5000;

/**
 * Every evaluation answer of the project with the reviews of its own revision, read once, a
 * page at a time: at hundreds of thousands of answers one query would hold the server for
 * everybody else.
 */
export async function evaluationAnswers(
	db: Db,
	target: Project,
	pageSize = ANSWERS_PAGE
): Promise<EvaluationAnswers> {
	const evaluations = await db
		.select({ id: job.id })
		.from(job)
		.where(and(eq(job.projectId, target.id), eq(job.kind, 'evaluation')))
		.orderBy(asc(job.id));
	// One job's done items in id order, a page at a time (job_item_job_done_idx).
	const ofPage = and(
		eq(jobItem.jobId, sql.placeholder('jobId')),
		eq(jobItem.status, 'done'),
		gt(jobItem.id, sql.placeholder('after')),
		lte(jobItem.id, sql.placeholder('upTo'))
	);
	const answersOf = db
		.select({
			itemId: jobItem.id,
			modelId: jobItem.modelId,
			exampleId: example.id,
			inputHash: example.inputHash,
			split: example.split,
			currentRevisionId: example.currentRevisionId,
			finalRating: example.finalRating,
			revisionId: revision.id,
			cost: jobItem.cost,
			latencyMs: jobItem.latencyMs
		})
		.from(jobItem)
		.innerJoin(example, eq(example.id, jobItem.exampleId))
		.innerJoin(revision, and(eq(revision.exampleId, example.id), eq(revision.number, 1)))
		.where(ofPage)
		.orderBy(asc(jobItem.id))
		.limit(pageSize)
		.prepare();
	// The same items' examples, and of each the reviews of its first revision.
	const reviewsOf = db
		.select({ revisionId: review.revisionId, userId: review.userId, rating: review.rating })
		.from(jobItem)
		.innerJoin(review, eq(review.exampleId, jobItem.exampleId))
		.innerJoin(revision, and(eq(revision.id, review.revisionId), eq(revision.number, 1)))
		.where(ofPage)
		.prepare();
	const reviews = new Map<number, Map<string, number>>();
	const answers: Answer[] = [];
	for (const evaluation of evaluations) {
		for (let after = 0; ;) {
			const page = await answersOf.execute({
				jobId: evaluation.id,
				after,
				upTo: Number.MAX_SAFE_INTEGER
			});
			if (page.length === 0) break;
			const upTo = page.at(-1)!.itemId;
			for (const r of await reviewsOf.execute({ jobId: evaluation.id, after, upTo })) {
				if (!reviews.has(r.revisionId)) reviews.set(r.revisionId, new Map());
				reviews.get(r.revisionId)!.set(r.userId, r.rating);
			}
			// Each page becomes answers at once, so its rows can go.
			for (const row of page) {
				if (row.modelId === null) continue;
				const repaired = row.currentRevisionId !== row.revisionId;
				const own = () => [...(reviews.get(row.revisionId)?.values() ?? [])];
				answers.push({
					modelId: row.modelId,
					exampleId: row.exampleId,
					inputHash: row.inputHash,
					split: row.split,
					rating: repaired ? aggregate(own(), target.aggregation) : row.finalRating,
					repaired,
					revisionId: row.revisionId,
					cost: row.cost,
					latencyMs: row.latencyMs
				});
			}
			after = upTo;
			await yieldToOthers();
			if (page.length < pageSize) break;
		}
	}
	answers.sort((x, y) => x.exampleId - y.exampleId);
	return { answers, reviews, heldOut: heldOutByModel(answers) };
}

/** Each model's latest answer to each held-out input. */
function heldOutByModel(answers: Answer[]): Map<number, Map<string, Answer>> {
	const byModel = new Map<number, Map<string, Answer>>();
	for (const answer of answers) {
		if (answer.split !== 'test') continue;
		if (!byModel.has(answer.modelId)) byModel.set(answer.modelId, new Map());
		byModel.get(answer.modelId)!.set(answer.inputHash, answer);
	}
	return byModel;
}

export type ModelFigures = {
	modelId: number;
	name: string;
	provider: string;
	/** Set for a model made by a fine-tune here: what it was trained on. */
	trainedOn: {
		fineTuneId: number;
		baseModel: string;
		datasetId: number;
		datasetName: string;
		trainCount: number;
		valCount: number;
		iteration: number | null;
	} | null;
	/** Held-out inputs answered, in the figures' scope. */
	outputs: number;
	rated: number;
	meanRating: number | null;
	/** Share of rated outputs at or above the threshold, with its 95% interval. */
	clears: { count: number; share: number | null; low: number | null; high: number | null };
	/** Krippendorff's alpha over the reviews of this model's outputs. */
	agreement: Statistic;
	repaired: number;
	/** Over all its evaluation outputs, every split. */
	costPer1000: number | null;
	/** False while the model has no prices: a new student's are unknown until an admin gives them. */
	priced: boolean;
	latencyMedianMs: number | null;
	latencyP95Ms: number | null;
	/** A label project's: the model's labels against the people's, label by label. */
	labelScores: LabelScores | null;
};

export type IterationFigures = {
	/** "common": only the held-out inputs every model answered, so the figures compare. */
	scope: 'common' | 'all';
	commonInputs: number;
	threshold: number;
	models: ModelFigures[];
};

async function modelInfo(db: Db, ids: number[]) {
	if (ids.length === 0) return [];
	return await db
		.select({
			id: model.id,
			name: model.name,
			provider: provider.name,
			priced: sql<number>`${model.inputPricePerMTok} > 0 or ${model.outputPricePerMTok} > 0`,
			fineTuneId: fineTune.id,
			baseModel: fineTune.baseModel,
			datasetId: dataset.id,
			datasetName: dataset.name,
			trainCount: dataset.trainCount,
			valCount: dataset.valCount,
			iteration: iteration.number
		})
		.from(model)
		.innerJoin(provider, eq(provider.id, model.providerId))
		.leftJoin(fineTune, eq(fineTune.id, model.fineTuneId))
		.leftJoin(dataset, eq(dataset.id, fineTune.datasetId))
		.leftJoin(iteration, eq(iteration.fineTuneId, fineTune.id))
		.where(inArray(model.id, ids));
}

/** Inputs every model answered. */
export function commonHashes(byModel: Map<number, Map<string, Answer>>): Set<string> {
	const maps = [...byModel.values()];
	if (maps.length === 0) return new Set();
	return new Set([...maps[0].keys()].filter((h) => maps.every((m) => m.has(h))));
}

export async function iterationFigures(
	db: Db,
	target: Project,
	loaded: EvaluationAnswers,
	scope: 'common' | 'all' = 'common'
): Promise<IterationFigures> {
	const { answers, reviews, heldOut: byModel } = loaded;
	const everyAnswer = new Map<number, Answer[]>();
	for (const a of answers) {
		if (!everyAnswer.has(a.modelId)) everyAnswer.set(a.modelId, []);
		everyAnswer.get(a.modelId)!.push(a);
	}
	const common = commonHashes(byModel);
	const { level } = levelsOf(target.ratingScale);
	const info = await modelInfo(db, [...byModel.keys()]);
	// Base models first, then students in the order they were made.
	info.sort((a, b) => (a.fineTuneId ?? 0) - (b.fineTuneId ?? 0) || a.id - b.id);
	const models: ModelFigures[] = [];
	for (const m of info) {
		const held = [...byModel.get(m.id)!.values()].filter(
			(a) => scope === 'all' || common.has(a.inputHash)
		);
		const rated = held.filter((a) => a.rating !== null);
		const clearing = rated.filter((a) => a.rating! >= target.threshold).length;
		const interval = wilsonInterval(clearing, rated.length);
		const annotators = [
			...new Set(held.flatMap((a) => [...(reviews.get(a.revisionId)?.keys() ?? [])]))
		];
		const units: Rating[][] = held
			.map((a) => reviews.get(a.revisionId))
			.filter((r): r is Map<string, number> => r !== undefined)
			.map((r) => annotators.map((id) => r.get(id) ?? null));
		const all = everyAnswer.get(m.id) ?? [];
		const latencies = all
			.map((a) => a.latencyMs)
			.filter((l): l is number => l !== null)
			.sort((x, y) => x - y);
		models.push({
			modelId: m.id,
			name: m.name,
			provider: m.provider,
			trainedOn:
				m.fineTuneId !== null && m.datasetId !== null
					? {
							fineTuneId: m.fineTuneId,
							baseModel: m.baseModel!,
							datasetId: m.datasetId,
							datasetName: m.datasetName!,
							trainCount: m.trainCount!,
							valCount: m.valCount!,
							iteration: m.iteration
						}
					: null,
			outputs: held.length,
			rated: rated.length,
			meanRating:
				rated.length === 0 ? null : rated.reduce((s, a) => s + a.rating!, 0) / rated.length,
			clears: {
				count: clearing,
				share: rated.length === 0 ? null : clearing / rated.length,
				low: interval?.low ?? null,
				high: interval?.high ?? null
			},
			agreement: alphaOf(units, level),
			repaired: held.filter((a) => a.repaired).length,
			priced: Boolean(m.priced),
			costPer1000:
				all.length === 0 ? null : (all.reduce((s, a) => s + a.cost, 0) / all.length) * 1000,
			latencyMedianMs: quantile(latencies, 0.5),
			latencyP95Ms: quantile(latencies, 0.95),
			labelScores: await labelScoresOf(db, target, held)
		});
	}
	return { scope, commonInputs: common.size, threshold: target.threshold, models };
}

export type PairedAnswer = {
	exampleId: number;
	output: string | null;
	rating: number | null;
	repaired: boolean;
};

export type SideBySide = {
	/** Held-out inputs both models answered. */
	total: number;
	page: number;
	pageSize: number;
	pairs: { input: string; a: PairedAnswer; b: PairedAnswer }[];
	/** Over the inputs both have a rating on: which model did better, and by how much. */
	paired: {
		n: number;
		aBetter: number;
		bBetter: number;
		ties: number;
		meanDifference: number | null;
		low: number | null;
		high: number | null;
	};
};

/** The input and each answer's own output, for the answers on one page. */
async function answerTexts(db: Db, shown: Answer[]) {
	const rows = shown.length
		? await db
				.select({ exampleId: example.id, input: example.input, output: revision.output })
				.from(example)
				.innerJoin(revision, and(eq(revision.exampleId, example.id), eq(revision.number, 1)))
				.where(
					inArray(
						example.id,
						shown.map((a) => a.exampleId)
					)
				)
		: [];
	return new Map(rows.map((r) => [r.exampleId, r]));
}

/** Two models on the same held-out inputs: the outputs side by side and the paired comparison. */
export async function sideBySide(
	db: Db,
	target: Project,
	loaded: EvaluationAnswers,
	modelA: number,
	modelB: number,
	page = 1,
	pageSize = 10
): Promise<SideBySide> {
	const byModel = loaded.heldOut;
	const a = byModel.get(modelA) ?? new Map<string, Answer>();
	const b = byModel.get(modelB) ?? new Map<string, Answer>();
	const shared = [...a.keys()].filter((h) => b.has(h));
	const differences = shared
		.map((h) => [a.get(h)!.rating, b.get(h)!.rating])
		.filter((pair): pair is [number, number] => pair[0] !== null && pair[1] !== null)
		.map(([x, y]) => x - y);
	const n = differences.length;
	const mean = n === 0 ? null : differences.reduce((s, d) => s + d, 0) / n;
	let half: number | null = null;
	if (n >= 2 && mean !== null) {
		const variance = differences.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1);
		half = 1.96 * Math.sqrt(variance / n);
	}
	const shown = shared.slice((page - 1) * pageSize, page * pageSize);
	const texts = await answerTexts(
		db,
		shown.flatMap((h) => [a.get(h)!, b.get(h)!])
	);
	const paired = (answer: Answer): PairedAnswer => ({
		exampleId: answer.exampleId,
		output: texts.get(answer.exampleId)?.output ?? null,
		rating: answer.rating,
		repaired: answer.repaired
	});
	return {
		total: shared.length,
		page,
		pageSize,
		pairs: shown.map((h) => ({
			input: texts.get(a.get(h)!.exampleId)?.input ?? '',
			a: paired(a.get(h)!),
			b: paired(b.get(h)!)
		})),
		paired: {
			n,
			aBetter: differences.filter((d) => d > 0).length,
			bBetter: differences.filter((d) => d < 0).length,
			ties: differences.filter((d) => d === 0).length,
			meanDifference: mean,
			low: mean !== null && half !== null ? mean - half : null,
			high: mean !== null && half !== null ? mean + half : null
		}
	};
}
