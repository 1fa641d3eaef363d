import { and, eq } from 'drizzle-orm';
import type { Db } from '../db';
import { example, job, judge, judgment, type Project } from '../db/schema';
import {
	humanShare,
	judgeShare,
	predictionPoweredShare,
	type ShareInterval
} from '../judges/estimates';
import { commonHashes, type EvaluationAnswers, type IterationFigures } from './figures';

// An evaluation judged on every held-out answer while people rate a sample of them: per model
// and judge, the share clearing the threshold from both (prediction-powered), beside people's
// own interval from the same sample and the judge's uncorrected figure, labelled as such.

export type JudgedEstimate = {
	modelId: number;
	modelName: string;
	judgeId: number;
	judgeName: string;
	/** Held-out answers the judge rated, and of them those people rated too. */
	judged: number;
	humanRated: number;
	predictionPowered: ShareInterval | null;
	humanOnly: ShareInterval | null;
	/** The judge's own share on every answer it rated: not an estimate people stand behind. */
	judgeOnly: number | null;
};

export async function judgedEstimates(
	db: Db,
	target: Project,
	loaded: EvaluationAnswers,
	figures: IterationFigures
): Promise<JudgedEstimate[]> {
	// The judges' ratings of evaluation answers, by the revision they rated.
	const rows = await db
		.select({
			judgeId: judgment.judgeId,
			judgeName: judge.name,
			revisionId: judgment.revisionId,
			rating: judgment.rating
		})
		.from(judgment)
		.innerJoin(judge, eq(judge.id, judgment.judgeId))
		.innerJoin(example, eq(example.id, judgment.exampleId))
		.innerJoin(job, eq(job.id, example.jobId))
		.where(and(eq(example.projectId, target.id), eq(job.kind, 'evaluation')));
	if (rows.length === 0) return [];
	const judges = new Map<number, { name: string; ratings: Map<number, number> }>();
	for (const row of rows) {
		const one = judges.get(row.judgeId) ?? { name: row.judgeName, ratings: new Map() };
		one.ratings.set(row.revisionId, row.rating);
		judges.set(row.judgeId, one);
	}
	const common = commonHashes(loaded.heldOut);
	const clears = (rating: number) => (rating >= target.threshold ? 1 : 0);
	const estimates: JudgedEstimate[] = [];
	for (const m of figures.models) {
		const held = [...(loaded.heldOut.get(m.modelId)?.values() ?? [])].filter(
			(a) => figures.scope === 'all' || common.has(a.inputHash)
		);
		for (const [judgeId, one] of [...judges].sort((a, b) => a[1].name.localeCompare(b[1].name))) {
			const judgeOnly: number[] = [];
			const both: { judge: number; human: number }[] = [];
			for (const answer of held) {
				const rated = one.ratings.get(answer.revisionId);
				if (rated === undefined) continue;
				if (answer.rating === null) judgeOnly.push(clears(rated));
				else both.push({ judge: clears(rated), human: clears(answer.rating) });
			}
			if (judgeOnly.length + both.length === 0) continue;
			const verdicts = { judgeOnly, both };
			estimates.push({
				modelId: m.modelId,
				modelName: m.name,
				judgeId,
				judgeName: one.name,
				judged: judgeOnly.length + both.length,
				humanRated: both.length,
				predictionPowered: predictionPoweredShare(verdicts),
				humanOnly: humanShare(verdicts),
				judgeOnly: judgeShare(verdicts)
			});
		}
	}
	return estimates;
}
