import type { FINE_TUNE_SERVICES } from '../../schemas/dataset';
import { TOKEN_LIMIT } from '../../schemas/dataset';

// What each fine-tuning service itself asks of a training file, checked before anything is
// uploaded so that a file it would refuse is refused here, beside the form or on the
// fine-tune's page, with the reason: the fewest and most examples, the largest file, the
// longest example it trains on whole, and the files it reads.

export type FineTuneService = (typeof FINE_TUNE_SERVICES)[number];

export type ServiceLimits = {
	name: string;
	/** The fewest training examples (or preference pairs) a job takes. */
	minExamples: number;
	/** Where the figure comes from. */
	source: string;
	/** The most examples one file may hold; null when the service states none. */
	maxExamples: number | null;
	/** The largest file it takes, in bytes; null when the service states none Winnow meets. */
	maxFileBytes: number | null;
	fileSource: string;
	/**
	 * The longest example (in tokens) trained on whole; longer ones are cut. Null when it is the
	 * base model's own context length, which only the service knows.
	 */
	contextTokens: number | null;
	contextSource: string;
	/** Whether a job's own context-length setting replaces contextTokens. */
	contextSetting: boolean;
	/** The files Winnow sends it. */
	formats: string;
	/** Whether it trains on preference pairs (DPO) too. */
	preference: boolean;
};

const MB = 1024 * 1024;

export const SERVICE_LIMITS: Record<FineTuneService, ServiceLimits> = {
	openai: {
		name: 'OpenAI',
		minExamples: 10,
		source: 'OpenAI fine-tuning guide: a training file needs at least 10 examples',
		maxExamples: null,
		maxFileBytes: 512 * MB,
		fileSource: 'OpenAI Files API: a file is at most 512 MB',
		contextTokens: TOKEN_LIMIT,
		contextSource:
			'OpenAI fine-tuning guide: gpt-4o-mini and gpt-4.1 train on 65,536 tokens an example',
		contextSetting: false,
		formats: 'chat JSONL (messages); preference JSONL (input, preferred and non-preferred output)',
		preference: true
	},
	together: {
		name: 'Together',
		minExamples: 1,
		source: 'Together’s fine-tuning docs state no minimum',
		maxExamples: null,
		maxFileBytes: Math.floor(4.9 * 1024 * MB),
		fileSource: 'Together’s file check: a file is at most 4.9 GB',
		contextTokens: null,
		contextSource:
			'Together cuts an example to the base model’s context length (its fine-tuning models table)',
		contextSetting: false,
		formats: 'conversational JSONL (messages); preference JSONL',
		preference: true
	},
	fireworks: {
		name: 'Fireworks',
		minExamples: 3,
		source: 'Fireworks fine-tuning docs: a dataset has at least 3 examples',
		maxExamples: 3_000_000,
		maxFileBytes: null,
		fileSource:
			'Fireworks takes files over 150 MB through signed upload URLs, with no stated limit',
		contextTokens: null,
		contextSource: 'Fireworks cuts an example to the job’s context length, or the base model’s',
		contextSetting: true,
		formats: 'chat JSONL (messages); preference JSONL (input, preferred and non-preferred output)',
		preference: true
	},
	hf_jobs: {
		name: 'Hugging Face Jobs',
		minExamples: 1,
		source: 'the TRL script trains on any number of examples',
		maxExamples: null,
		maxFileBytes: 10 * MB,
		fileSource: 'Winnow commits files to the Hub inline, up to 10 MB (larger ones need Git LFS)',
		contextTokens: 1024,
		contextSource: 'TRL’s SFTConfig cuts an example to max_length, 1,024 tokens unless set',
		contextSetting: true,
		formats: 'chat JSONL (messages)',
		preference: false
	}
};

/** What is known of one split's file before it is sent. */
export type FileFacts = {
	/** Its lines: examples, or preference pairs. */
	lines: number;
	/** Its size, once it has been written out and measured. */
	bytes?: number;
	/** How many examples are longer than each context length asked about, by that length. */
	overContext?: Record<number, number>;
};

const plural = (n: number, one: string) => `${n.toLocaleString('en')} ${one}${n === 1 ? '' : 's'}`;

export function megabytes(bytes: number): string {
	return `${(bytes / MB).toFixed(1)} MB`;
}

/** The context length an example of this job is cut to, when Winnow knows it. */
export function contextOf(service: FineTuneService, maxContextLength?: number | null) {
	const limits = SERVICE_LIMITS[service];
	return (limits.contextSetting && maxContextLength) || limits.contextTokens;
}

/**
 * Why the service would refuse these files, one sentence each: too few or too many lines, a
 * file too large. Empty when it would take them. Counts alone are enough for the first two;
 * the size is checked once the file has been measured.
 */
export function fileRefusals(
	service: FineTuneService,
	method: 'supervised' | 'dpo',
	files: { train: FileFacts; val: FileFacts }
): string[] {
	const limits = SERVICE_LIMITS[service];
	const { name, minExamples: least } = limits;
	const what = method === 'dpo' ? 'preference pair' : 'example';
	const refusals: string[] = [];
	if (method === 'dpo' && !limits.preference) {
		return [
			`${name} runs supervised training only here: choose another service for preference training.`
		];
	}
	const { train, val } = files;
	if (train.lines < least) {
		refusals.push(
			method === 'dpo'
				? `The train split has ${plural(train.lines, what)} (a person’s repair of an earlier output); ${name} trains on at least ${least}. Repair more outputs, or train supervised.`
				: `The train split has ${plural(train.lines, what)}; ${name} trains on at least ${least} (${limits.source}). Freeze a dataset with more, or choose another service.`
		);
	}
	// A validation file is held to the training file's minimum only for preference pairs, as
	// the services state it for training files.
	if (method === 'dpo' && val.lines > 0 && val.lines < least) {
		refusals.push(
			`The val split has ${plural(val.lines, what)}; ${name} takes a validation file of at least ${least}. Repair more, or freeze the dataset without a val split.`
		);
	}
	for (const [split, facts] of [
		['train', train],
		['val', val]
	] as const) {
		if (limits.maxExamples !== null && facts.lines > limits.maxExamples) {
			refusals.push(
				`The ${split} split has ${plural(facts.lines, what)}; ${name} takes at most ${limits.maxExamples.toLocaleString('en')} a file. Freeze a smaller dataset.`
			);
		}
		if (limits.maxFileBytes !== null && facts.bytes !== undefined) {
			if (facts.bytes > limits.maxFileBytes) {
				refusals.push(
					`The ${split} file is ${megabytes(facts.bytes)}; ${name} takes files of at most ${megabytes(limits.maxFileBytes)} (${limits.fileSource}). Freeze a smaller dataset, or choose another service.`
				);
			}
		}
	}
	return refusals;
}

/** What the service will do to examples longer than it trains on whole: a note, not a refusal. */
export function contextNote(
	service: FineTuneService,
	facts: FileFacts,
	maxContextLength?: number | null
): string | null {
	const context = contextOf(service, maxContextLength);
	if (context === null) return null;
	const over = facts.overContext?.[context] ?? 0;
	if (over === 0) return null;
	return `${plural(over, 'training example')} ${over === 1 ? 'is' : 'are'} longer than ${context.toLocaleString('en')} tokens; ${SERVICE_LIMITS[service].name} cuts ${over === 1 ? 'it' : 'them'} to that length, and the end of the answer is not learned.`;
}

/** Every context length Winnow knows of, for a check to count the examples over each. */
export function knownContexts(maxContextLength?: number | null): number[] {
	const lengths = new Set<number>();
	for (const service of Object.keys(SERVICE_LIMITS) as FineTuneService[]) {
		const context = contextOf(service, maxContextLength);
		if (context !== null) lengths.add(context);
	}
	return [...lengths];
}

/** One row of the dataset page's table: what the service takes, and what it would say here. */
export type ServiceRow = {
	service: FineTuneService;
	name: string;
	examples: string;
	file: string;
	context: string;
	formats: string;
	sources: string[];
	/** Why it would refuse this dataset, per method; empty when it would take it. */
	supervised: string[];
	dpo: string[];
	/** What it would cut, once the files were checked. */
	notes: string[];
};

/**
 * Every service's limits beside this dataset's files: the counts are always known, the sizes
 * and lengths once the page's check has read the files.
 */
export function serviceRows(
	counts: Record<'train' | 'val', { examples: number; pairs: number }>,
	measured: Record<'train' | 'val', Pick<FileFacts, 'bytes' | 'overContext'> | null> | null
): ServiceRow[] {
	return (Object.keys(SERVICE_LIMITS) as FineTuneService[]).map((service) => {
		const limits = SERVICE_LIMITS[service];
		const facts = (split: 'train' | 'val'): FileFacts => ({
			lines: counts[split].examples,
			...(measured?.[split] ?? {})
		});
		const context = limits.contextTokens;
		return {
			service,
			name: limits.name,
			examples:
				limits.maxExamples === null
					? `at least ${limits.minExamples}`
					: `${limits.minExamples} to ${limits.maxExamples.toLocaleString('en')}`,
			file: limits.maxFileBytes === null ? 'no stated limit' : megabytes(limits.maxFileBytes),
			context:
				context === null
					? 'the base model’s'
					: `${context.toLocaleString('en')} tokens${limits.contextSetting ? ' unless set' : ''}`,
			formats: limits.formats,
			sources: [limits.source, limits.fileSource, limits.contextSource],
			supervised:
				counts.train.examples === 0
					? ['This dataset has no training examples.']
					: fileRefusals(service, 'supervised', { train: facts('train'), val: facts('val') }),
			dpo: fileRefusals(service, 'dpo', {
				train: { lines: counts.train.pairs },
				val: { lines: counts.val.pairs }
			}),
			notes: measured ? [contextNote(service, facts('train'))].filter((n) => n !== null) : []
		};
	});
}
