import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db';
import { example, review, revision, type Project } from './db/schema';
import { alias } from './db';
import { readLabels, type LabelSet } from '../schemas/labels';
import {
	classificationReport,
	confusionMatrix,
	labelAgreement,
	type LabelAgreement,
	type LabelScore,
	type Interval,
	type Prediction
} from '../labelAgreement';
import { wilsonInterval } from '../agreement';

// A label project's agreement, label by label. What a person chose for an example is what they
// left it with: the labels they accepted, or the labels of their repair; a rejection without a
// repair chooses nothing. A person's latest choice on any revision of the example counts.

export type LabelReport = {
	labels: LabelAgreement[];
	/** Examples with at least two people's choices. */
	units: number;
	/** Single choice only: rows are the others' majority, columns a person's choice. */
	confusion: { labels: string[]; matrix: number[][]; units: number } | null;
	/** Per label of the gold answers: how often people left a gold example with its answer. */
	gold: GoldAccuracy[];
};

export type GoldAccuracy = {
	label: string;
	/** Gold examples whose answer holds the label, and people's reviews of them. */
	examples: number;
	reviews: number;
	correct: number;
	/** The share of those reviews that accepted the gold answer, with its 95% Wilson interval. */
	share: number | null;
	low: number | null;
	high: number | null;
};

export async function labelReport(db: Db, target: Project): Promise<LabelReport | null> {
	if (target.outputKind !== 'labels' || !target.labelSet) return null;
	const set = JSON.parse(target.labelSet) as LabelSet;
	const judged = alias(revision, 'judged');
	const reviews = await db
		.select({
			exampleId: review.exampleId,
			userId: review.userId,
			decision: review.decision,
			revisionId: review.revisionId,
			judgedOutput: judged.output
		})
		.from(review)
		.innerJoin(example, eq(example.id, review.exampleId))
		.innerJoin(judged, eq(judged.id, review.revisionId))
		.where(eq(example.projectId, target.id))
		.orderBy(asc(review.id));
	const repairs = await db
		.select({
			parentRevisionId: revision.parentRevisionId,
			authorUserId: revision.authorUserId,
			output: revision.output
		})
		.from(revision)
		.innerJoin(example, eq(example.id, revision.exampleId))
		.where(and(eq(example.projectId, target.id), eq(revision.authorKind, 'user')));
	const repairOf = new Map(
		repairs.map((r) => [`${r.parentRevisionId}:${r.authorUserId}`, r.output])
	);
	const choices = new Map<number, Map<string, string[]>>();
	for (const r of reviews) {
		const output =
			r.decision === 'accept'
				? r.judgedOutput
				: r.decision === 'repair'
					? (repairOf.get(`${r.revisionId}:${r.userId}`) ?? null)
					: null;
		const names = output === null ? null : readLabels(set, output);
		if (names === null) continue;
		const byUser = choices.get(r.exampleId) ?? new Map<string, string[]>();
		byUser.set(r.userId, names);
		choices.set(r.exampleId, byUser);
	}
	const units = [...choices.values()]
		.map((byUser) => [...byUser.values()])
		.filter((unit) => unit.length >= 2);
	const names = set.labels.map((l) => l.name);
	return {
		labels: labelAgreement(units, names),
		units: units.length,
		confusion: set.multiple ? null : singleChoiceConfusion(units, names),
		gold: await goldAccuracy(db, target, set)
	};
}

/**
 * A gold example's answer is its output when its true rating clears the threshold (the example
 * is then accepted); a person got it right by accepting that output. A repair of a gold
 * example leaves the gold answer as it was (see reviews.ts), so what else they chose is not
 * kept: a repair or a rejection counts as wrong for every label of the answer.
 */
async function goldAccuracy(db: Db, target: Project, set: LabelSet): Promise<GoldAccuracy[]> {
	const current = alias(revision, 'current');
	const rows = await db
		.select({ exampleId: example.id, output: current.output, decision: review.decision })
		.from(example)
		.innerJoin(current, eq(current.id, example.currentRevisionId))
		.leftJoin(review, eq(review.exampleId, example.id))
		.where(
			and(
				eq(example.projectId, target.id),
				eq(example.isGold, true),
				eq(example.status, 'accepted')
			)
		);
	const tally = new Map(
		set.labels.map((l) => [l.name, { examples: new Set<number>(), reviews: 0, correct: 0 }])
	);
	for (const row of rows) {
		for (const name of (row.output === null ? null : readLabels(set, row.output)) ?? []) {
			const counts = tally.get(name);
			if (!counts) continue;
			counts.examples.add(row.exampleId);
			if (row.decision === null) continue;
			counts.reviews++;
			if (row.decision === 'accept') counts.correct++;
		}
	}
	return [...tally].map(([label, counts]) => {
		const interval = wilsonInterval(counts.correct, counts.reviews);
		return {
			label,
			examples: counts.examples.size,
			reviews: counts.reviews,
			correct: counts.correct,
			share: counts.reviews === 0 ? null : counts.correct / counts.reviews,
			low: interval?.low ?? null,
			high: interval?.high ?? null
		};
	});
}

export type LabelScores = { units: number; labels: LabelScore[]; macroF1: Interval };

/**
 * A model's labels on evaluation answers against the people's consensus: the labels an answer
 * was left with once accepted (the model's own when people accepted them, else the repair's).
 * A single-choice answer rejected as it was counts against the label it chose (a false
 * positive; what was right is not said). Answers not yet settled, and multiple-choice answers
 * rejected without a repair, tell nothing and are left out.
 */
export async function labelScoresOf(
	db: Db,
	target: Project,
	answers: readonly { exampleId: number; revisionId: number }[]
): Promise<LabelScores | null> {
	if (target.outputKind !== 'labels' || !target.labelSet) return null;
	const set = JSON.parse(target.labelSet) as LabelSet;
	const own = alias(revision, 'own');
	const current = alias(revision, 'current');
	const predictions: Prediction[] = [];
	const CHUNK = 500;
	for (let at = 0; at < answers.length; at += CHUNK) {
		const chunk = answers.slice(at, at + CHUNK);
		const rows = await db
			.select({
				predicted: own.output,
				truth: current.output,
				status: example.status,
				repaired: sql<number>`${current.id} <> ${own.id}`
			})
			.from(example)
			.innerJoin(own, eq(own.exampleId, example.id))
			.innerJoin(current, eq(current.id, example.currentRevisionId))
			.where(
				and(
					inArray(
						own.id,
						chunk.map((a) => a.revisionId)
					),
					inArray(example.status, ['accepted', 'rejected'])
				)
			);
		for (const row of rows) {
			// An answer that names no label of the set predicted none.
			const predicted = (row.predicted === null ? null : readLabels(set, row.predicted)) ?? [];
			if (row.status === 'rejected') {
				// Rejected as it was: its single label is wrong, though what is right is not said.
				if (!set.multiple && !row.repaired) predictions.push({ truth: [], predicted });
				continue;
			}
			const truth = row.truth === null ? null : readLabels(set, row.truth);
			if (truth === null) continue;
			predictions.push({ truth, predicted });
		}
	}
	const report = classificationReport(
		predictions,
		set.labels.map((l) => l.name)
	);
	return { units: predictions.length, ...report };
}

/**
 * Each person's label against the majority label of the others on the same example (with two
 * people, simply the other's), so that a person is never compared with their own choice; a tie
 * among the others compares nothing.
 */
function singleChoiceConfusion(units: string[][][], labels: string[]) {
	const pairs: { consensus: string; chosen: string }[] = [];
	let counted = 0;
	for (const unit of units) {
		let compared = false;
		unit.forEach(([chosen], i) => {
			const tally = new Map<string, number>();
			unit.forEach(([name], j) => j !== i && tally.set(name, (tally.get(name) ?? 0) + 1));
			const ranked = [...tally].sort((a, b) => b[1] - a[1]);
			if (ranked.length > 1 && ranked[0][1] === ranked[1][1]) return;
			pairs.push({ consensus: ranked[0][0], chosen });
			compared = true;
		});
		if (compared) counted++;
	}
	return { labels, matrix: confusionMatrix(pairs, labels), units: counted };
}
