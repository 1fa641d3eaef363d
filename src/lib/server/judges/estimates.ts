import { wilsonInterval } from '../../agreement';

// The share of outputs that clear the threshold, estimated from a judge's verdicts on every
// output and people's on a random sample of them: prediction-powered inference (Angelopoulos,
// Bates, Fannjiang, Jordan and Zrnic, "Prediction-powered inference", Science 382, 669–674,
// 2023, the estimator of a mean). The judge's share on the outputs people did not rate is
// corrected by the judge's mean error on those they did, so a biased judge does not bias the
// estimate; its interval is narrower than people's alone by as much as the judge is right.

export type ShareInterval = {
	estimate: number;
	low: number;
	high: number;
	/** The outputs the estimate rests on: people's sample, and the judge's all. */
	humanRated: number;
	judged: number;
};

export type Verdicts = {
	/** The judge's verdict (1 clears, 0 not) on each output people did not rate. */
	judgeOnly: readonly number[];
	/** Both verdicts on each output people rated (a random sample of all). */
	both: readonly { judge: number; human: number }[];
};

const Z95 = 1.959964;

function meanAndVariance(values: readonly number[]) {
	const n = values.length;
	const mean = values.reduce((sum, v) => sum + v, 0) / n;
	// The sample variance (n − 1), as the paper's plug-in estimates use.
	const variance = n > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1) : 0;
	return { mean, variance };
}

const clamp = (x: number) => Math.min(1, Math.max(0, x));

/**
 * The prediction-powered estimate and its 95% interval: θ = mean(f on the N unrated) −
 * mean(f − y on the n rated), ± z·√(var(f)/N + var(f − y)/n). Null without at least two
 * outputs of each kind, when no variance can be estimated.
 */
export function predictionPoweredShare(verdicts: Verdicts, z = Z95): ShareInterval | null {
	const { judgeOnly, both } = verdicts;
	if (judgeOnly.length < 2 || both.length < 2) return null;
	const judged = meanAndVariance(judgeOnly);
	const rectifier = meanAndVariance(both.map((b) => b.judge - b.human));
	const estimate = judged.mean - rectifier.mean;
	const half = z * Math.sqrt(judged.variance / judgeOnly.length + rectifier.variance / both.length);
	return {
		estimate: clamp(estimate),
		low: clamp(estimate - half),
		high: clamp(estimate + half),
		humanRated: both.length,
		judged: judgeOnly.length + both.length
	};
}

/** People's own estimate from the same sample: the share they passed, with Wilson's interval. */
export function humanShare(verdicts: Verdicts): ShareInterval | null {
	const n = verdicts.both.length;
	const passed = verdicts.both.filter((b) => b.human === 1).length;
	const interval = wilsonInterval(passed, n);
	if (!interval) return null;
	return { estimate: passed / n, ...interval, humanRated: n, judged: 0 };
}

/** The judge's own share on every output, uncorrected: shown only labelled as the judge's. */
export function judgeShare(verdicts: Verdicts): number | null {
	const all = [...verdicts.judgeOnly, ...verdicts.both.map((b) => b.judge)];
	return all.length === 0 ? null : all.reduce((sum, v) => sum + v, 0) / all.length;
}
