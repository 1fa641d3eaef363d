import { and, asc, eq } from 'drizzle-orm';
import type { Db } from './db';
import { example, review, revision, type Project } from './db/schema';
import { alias } from './db';
import { readLabels, type LabelSet } from '../schemas/labels';
import { confusionMatrix, labelAgreement, type LabelAgreement } from '../labelAgreement';

// A label project's agreement, label by label. What a person chose for an example is what they
// left it with: the labels they accepted, or the labels of their repair; a rejection without a
// repair chooses nothing. A person's latest choice on any revision of the example counts.

export type LabelReport = {
	labels: LabelAgreement[];
	/** Examples with at least two people's choices. */
	units: number;
	/** Single choice only: rows are the others' majority, columns a person's choice. */
	confusion: { labels: string[]; matrix: number[][]; units: number } | null;
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
		confusion: set.multiple ? null : singleChoiceConfusion(units, names)
	};
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
