// Times Krippendorff's alpha over 100,000 units × 5 coders on a 1–5 scale, about 20% of the
// ratings missing, generated from a seed so every run scores the same data.
//
//   npm run bench:agreement
//   npm run bench:agreement -- --units 1000000 --replicates 1000
//
// Ordinal alpha is timed as the median of several runs; nominal, interval and a bootstrap
// interval are printed on earlier lines. The last line is one JSON object:
// {"units", "coders", "alpha_ms"}.
import { parseArgs } from 'node:util';
import { bootstrapAlpha, krippendorffAlpha, type Rating } from '../src/lib/agreement';
import { mulberry32 } from '../src/lib/random';

const { values: args } = parseArgs({
	options: {
		units: { type: 'string', default: '100000' },
		coders: { type: 'string', default: '5' },
		'missing-share': { type: 'string', default: '0.2' },
		replicates: { type: 'string', default: '200' },
		seed: { type: 'string', default: '1' }
	}
});
const UNITS = Number(args.units);
const CODERS = Number(args.coders);
const MISSING_SHARE = Number(args['missing-share']);
const REPLICATES = Number(args.replicates);
const RUNS = 5;

// Each unit has a true quality; coders mostly rate it, sometimes one point off, so alpha lands
// in the range real review data shows rather than at 0 or 1.
function generate(seed: number): Rating[][] {
	const random = mulberry32(seed);
	return Array.from({ length: UNITS }, () => {
		const quality = 1 + Math.floor(random() * 5);
		return Array.from({ length: CODERS }, () => {
			if (random() < MISSING_SHARE) return null;
			const noise = random();
			const rating = noise < 0.15 ? quality - 1 : noise > 0.85 ? quality + 1 : quality;
			return Math.min(5, Math.max(1, rating));
		});
	});
}

function time<T>(run: () => T): { result: T; ms: number } {
	const start = performance.now();
	const result = run();
	return { result, ms: performance.now() - start };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[numbers.length >> 1];
const round = (ms: number) => Math.round(ms * 10) / 10;

const data = generate(Number(args.seed));
const missing = data.flat().filter((rating) => rating === null).length;
console.log(
	`${UNITS.toLocaleString('en')} units × ${CODERS} coders, ` +
		`${((100 * missing) / (UNITS * CODERS)).toFixed(1)}% of ratings missing`
);

for (const level of ['nominal', 'interval'] as const) {
	const { result, ms } = time(() => krippendorffAlpha(data, level));
	console.log(`${level} alpha ${result.value?.toFixed(4) ?? result.reason} in ${round(ms)} ms`);
}

const ordinalRuns = Array.from({ length: RUNS }, () =>
	time(() => krippendorffAlpha(data, 'ordinal'))
);
const ordinal = ordinalRuns[0].result;
const alphaMs = median(ordinalRuns.map((run) => run.ms));
console.log(
	`ordinal alpha ${ordinal.value?.toFixed(4) ?? ordinal.reason} in ${round(alphaMs)} ms ` +
		`(median of ${RUNS}; first run ${round(ordinalRuns[0].ms)} ms)`
);

const bootstrap = time(() =>
	bootstrapAlpha(data, 'ordinal', { replicates: REPLICATES, seed: Number(args.seed) })
);
const interval = bootstrap.result.value;
console.log(
	interval
		? `bootstrap 95% interval [${interval.lower.toFixed(4)}, ${interval.upper.toFixed(4)}] ` +
				`from ${REPLICATES} replicates in ${round(bootstrap.ms)} ms`
		: `bootstrap undefined: ${bootstrap.result.reason}`
);

console.log(JSON.stringify({ units: UNITS, coders: CODERS, alpha_ms: round(alphaMs) }));
