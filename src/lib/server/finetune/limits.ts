import type { FINE_TUNE_SERVICES } from '../../schemas/dataset';

// What each fine-tuning service itself asks of a training file, checked before anything is
// uploaded so that a file it would refuse is refused here, beside the form, with the reason.

export type ServiceLimits = {
	name: string;
	/** The fewest training examples (or preference pairs) a job takes. */
	minExamples: number;
	/** Where the figure comes from. */
	source: string;
	/** Whether it trains on preference pairs (DPO) too. */
	preference: boolean;
};

export const SERVICE_LIMITS: Record<(typeof FINE_TUNE_SERVICES)[number], ServiceLimits> = {
	openai: {
		name: 'OpenAI',
		minExamples: 10,
		source: 'OpenAI fine-tuning guide: a training file needs at least 10 examples',
		preference: true
	},
	together: {
		name: 'Together',
		minExamples: 1,
		source: 'Together’s fine-tuning docs state no minimum',
		preference: true
	},
	fireworks: {
		name: 'Fireworks',
		minExamples: 3,
		source: 'Fireworks fine-tuning docs: a dataset has at least 3 examples',
		preference: true
	},
	hf_jobs: {
		name: 'Hugging Face Jobs',
		minExamples: 1,
		source: 'the TRL script trains on any number of examples',
		preference: false
	}
};
