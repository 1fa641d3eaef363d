import { and, eq } from 'drizzle-orm';
import type { Db } from '../db';
import { example, job, judge, judgePreference, judgment, model, type Project } from '../db/schema';
import {
	humanShare,
	judgeShare,
	predictionPoweredShare,
	type ShareInterval
} from '../judges/estimates';
import { wilsonInterval } from '../../agreement';
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
	// People's ratings must be a random sample of the answers. In the judge-guided order only
	// those served from the audit sample are; the others count as the judge's alone.
	const random =
		target.queueOrder === 'judged'
			? new Set(
					(
						await db
							.select({ id: example.id })
							.from(example)
							.innerJoin(job, eq(job.id, example.jobId))
							.where(
								and(
									eq(example.projectId, target.id),
									eq(job.kind, 'evaluation'),
									eq(example.audited, true)
								)
							)
					).map((e) => e.id)
				)
			: null;
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
				if (answer.rating === null || (random && !random.has(answer.exampleId))) {
					judgeOnly.push(clears(rated));
				} else both.push({ judge: clears(rated), human: clears(answer.rating) });
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

export type PairwiseResult = {
	judgeId: number;
	judgeName: string;
	/** The baseline (shown as A when first) and the model measured against it. */
	baseline: { id: number; name: string };
	challenger: { id: number; name: string };
	/** Inputs compared in both orders, and those still waiting for an order. */
	inputs: number;
	waiting: number;
	challengerWins: number;
	baselineWins: number;
	/** Judged a tie in both orders, or the two orders disagreed (the judge leaned to a side). */
	ties: number;
	/** Inputs where the two orders gave the same verdict. */
	ordersAgree: number;
	/** The challenger's win rate, a tie counting half, with its 95% interval. */
	winRate: { estimate: number; low: number; high: number } | null;
};

/**
 * Each pairwise judge run's verdict on its two models over the held-out inputs both answered:
 * an input counts for a model only when the judge preferred it in both orders, so a leaning to
 * the first or second output cancels out; the win rate (a tie counting half) comes with
 * Wilson's 95% interval.
 */
export async function pairwiseResults(
	db: Db,
	target: Project,
	loaded: EvaluationAnswers
): Promise<PairwiseResult[]> {
	const runs = await db
		.select({ judgeId: job.judgeId, config: job.config, judgeName: judge.name })
		.from(job)
		.innerJoin(judge, eq(judge.id, job.judgeId))
		.where(and(eq(job.projectId, target.id), eq(job.kind, 'judge')))
		.orderBy(job.id);
	const compared = new Map<
		string,
		{ judgeId: number; judgeName: string; models: [number, number] }
	>();
	for (const run of runs) {
		const models = (JSON.parse(run.config) as { pairwise?: [number, number] }).pairwise;
		if (!models || run.judgeId === null) continue;
		compared.set(`${run.judgeId}:${models.join(':')}`, {
			judgeId: run.judgeId,
			judgeName: run.judgeName,
			models
		});
	}
	if (compared.size === 0) return [];
	const judgeIds = [...new Set([...compared.values()].map((c) => c.judgeId))];
	const preferences = await db
		.select({
			judgeId: judgePreference.judgeId,
			first: judgePreference.firstRevisionId,
			second: judgePreference.secondRevisionId,
			winner: judgePreference.winner
		})
		.from(judgePreference)
		.innerJoin(judge, eq(judge.id, judgePreference.judgeId))
		.where(eq(judge.projectId, target.id));
	const said = new Map(
		preferences
			.filter((p) => judgeIds.includes(p.judgeId))
			.map((p) => [`${p.judgeId}:${p.first}:${p.second}`, p.winner])
	);
	const names = new Map(
		(await db.select({ id: model.id, name: model.name }).from(model)).map((m) => [m.id, m.name])
	);
	return [...compared.values()].map(({ judgeId, judgeName, models: [a, b] }) => {
		const baseline = loaded.heldOut.get(a) ?? new Map();
		const challenger = loaded.heldOut.get(b) ?? new Map();
		let compared = 0;
		let waiting = 0;
		let agree = 0;
		let challengerWins = 0;
		let baselineWins = 0;
		for (const [hash, answerA] of baseline) {
			const answerB = challenger.get(hash);
			if (!answerB) continue;
			const aFirst = said.get(`${judgeId}:${answerA.revisionId}:${answerB.revisionId}`);
			const bFirst = said.get(`${judgeId}:${answerB.revisionId}:${answerA.revisionId}`);
			if (!aFirst || !bFirst) {
				waiting += 1;
				continue;
			}
			// Each order's verdict as a model: A shown first, then B shown first.
			const one = aFirst === 'first' ? 'a' : aFirst === 'second' ? 'b' : 'tie';
			const two = bFirst === 'first' ? 'b' : bFirst === 'second' ? 'a' : 'tie';
			if (one === two) agree += 1;
			const verdict = one === two ? one : 'tie';
			if (verdict === 'b') challengerWins += 1;
			if (verdict === 'a') baselineWins += 1;
			compared += 1;
		}
		const n = compared;
		// Wilson's interval on the score, a tie counting half a win: honest at small counts and
		// at 0 or 100%, where the normal approximation would give an interval of no width.
		const points = challengerWins + 0.5 * (n - challengerWins - baselineWins);
		const interval = n >= 2 ? wilsonInterval(points, n) : null;
		const winRate: PairwiseResult['winRate'] = interval
			? { estimate: points / n, ...interval }
			: null;
		return {
			judgeId,
			judgeName,
			baseline: { id: a, name: names.get(a) ?? `model ${a}` },
			challenger: { id: b, name: names.get(b) ?? `model ${b}` },
			inputs: n,
			waiting,
			challengerWins,
			baselineWins,
			ties: n - challengerWins - baselineWins,
			ordersAgree: agree,
			winRate
		};
	});
}
