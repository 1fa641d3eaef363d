// The whole loop over the API with the typed client, as a pipeline would run it: no page is
// loaded. An admin's password buys a token; the admin makes two annotators, a project with a
// requirement, and imports examples; the annotators' own tokens claim and review every
// example (one pair of reviews far apart, so a dispute); the admin resolves it, reads the
// agreement, freezes a dataset and exports it, fine-tunes a student on it and evaluates the
// student on the held-out inputs.
//
//   WINNOW_URL=http://localhost:3000 WINNOW_ADMIN=admin WINNOW_PASSWORD=… \
//   WINNOW_PROVIDER_ID=1 WINNOW_BASE_MODEL=gpt-4.1-mini-2025-04-14 npx tsx scripts/api-loop.ts
//
// The provider (an admin's choice, with its key) is set up on the Providers page beforehand.
import { createWinnowClient, expectData, type WinnowClient } from '../src/lib/api/client';

export type LoopOptions = {
	origin: string;
	admin: { username: string; password: string };
	providerId: number;
	baseModel: string;
	/** Makes the names of what the loop creates its own. */
	suffix?: string;
	log?: (line: string) => void;
	/** How long to wait for the fine-tune and the evaluation, in milliseconds. */
	patienceMs?: number;
};

async function until<T>(
	what: string,
	patienceMs: number,
	poll: () => Promise<T | undefined>
): Promise<T> {
	const deadline = Date.now() + patienceMs;
	for (;;) {
		const done = await poll();
		if (done !== undefined) return done;
		if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}.`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

async function tokenFor(origin: string, username: string, password: string) {
	const anonymous = createWinnowClient(origin);
	const made = await anonymous.POST('/tokens', {
		body: { username, password, name: 'api loop' }
	});
	return expectData(made, `a token for ${username}`).token;
}

/** One annotator's turn: claim, review, until the queue has nothing more for them. */
async function reviewAll(
	api: WinnowClient,
	projectId: number,
	requirementId: number,
	rate: (index: number) => { rating: number; decision: 'accept' | 'reject' }
) {
	let reviewed = 0;
	for (;;) {
		const claim = await api.POST('/projects/{id}/queue/claim', {
			params: { path: { id: projectId } }
		});
		const item = expectData(claim, 'a claim').item;
		if (!item) return reviewed;
		const { rating, decision } = rate(reviewed);
		const saved = await api.POST('/projects/{id}/reviews', {
			params: { path: { id: projectId } },
			body: {
				exampleId: item.exampleId,
				revisionId: item.revisionId,
				submissionKey: item.submissionKey,
				rating,
				decision,
				durationMs: 3000,
				requirementRatings: [{ requirementId, rating }]
			}
		});
		expectData(saved, `the review of example ${item.exampleId}`);
		reviewed += 1;
	}
}

export async function runLoop(options: LoopOptions) {
	const { origin, providerId, baseModel } = options;
	const log = options.log ?? ((line: string) => console.log(line));
	const patienceMs = options.patienceMs ?? 120_000;
	const suffix = options.suffix ?? String(Date.now());
	const admin = createWinnowClient(
		origin,
		await tokenFor(origin, options.admin.username, options.admin.password)
	);

	const password = 'lantern-harbour-quiet-42';
	const annotators = [`ann-a-${suffix}`, `ann-b-${suffix}`];
	for (const username of annotators) {
		const made = await admin.POST('/users', {
			body: { username, displayName: username, password, role: 'annotator' }
		});
		expectData(made, `the account ${username}`);
	}
	const project = expectData(
		await admin.POST('/projects', {
			body: {
				name: `Parcels ${suffix}`,
				instruction: 'Answer the customer in one sentence.',
				reviewsRequired: 2,
				splitTrain: 50,
				splitVal: 0,
				splitTest: 50,
				requirements: [{ name: 'Correct', description: 'Says what is true.' }]
			}
		}),
		'the project'
	);
	log(`Project ${project.id} made, with requirement “${project.requirements[0].name}”.`);
	for (const username of annotators) {
		const added = await admin.POST('/projects/{id}/members', {
			params: { path: { id: project.id } },
			body: { username }
		});
		expectData(added, `${username} on the project`);
	}

	const rows = Array.from({ length: 30 }, (_, i) =>
		JSON.stringify({ input: `Where is parcel ${i}?`, output: `Parcel ${i} is on its way.` })
	).join('\n');
	const imported = expectData(
		await admin.POST('/projects/{id}/examples', {
			params: { path: { id: project.id } },
			body: rows,
			bodySerializer: (text: string) => text,
			headers: { 'content-type': 'application/jsonl' }
		}),
		'the import'
	);
	log(`Imported ${JSON.stringify(imported)}.`);

	const [first, second] = await Promise.all(
		annotators.map(async (username) =>
			createWinnowClient(origin, await tokenFor(origin, username, password))
		)
	);
	const requirementId = project.requirements[0].id;
	const reviews = [
		await reviewAll(first, project.id, requirementId, () => ({ rating: 5, decision: 'accept' })),
		// The second annotator disagrees on their first example: a dispute.
		await reviewAll(second, project.id, requirementId, (index) =>
			index === 0 ? { rating: 1, decision: 'reject' } : { rating: 5, decision: 'accept' }
		)
	];
	log(`Reviews: ${reviews.join(' and ')}.`);

	const disputes = expectData(
		await admin.GET('/projects/{id}/disputes', { params: { path: { id: project.id } } }),
		'the disputes'
	);
	for (const dispute of disputes.items) {
		const resolved = await admin.POST('/projects/{id}/disputes/{exampleId}', {
			params: { path: { id: project.id, exampleId: dispute.id } },
			body: { rating: 4, decision: 'accept', reason: 'Right, and brief enough.' }
		});
		expectData(resolved, `the dispute on example ${dispute.id}`);
	}
	log(`Disputes resolved: ${disputes.items.length}.`);

	const agreement = expectData(
		await admin.GET('/projects/{id}/agreement', { params: { path: { id: project.id } } }),
		'the agreement'
	);

	const dataset = expectData(
		await admin.POST('/projects/{id}/datasets', {
			params: { path: { id: project.id } },
			body: { name: `parcels ${suffix}`, filter: {} }
		}),
		'the dataset'
	);
	log(`Dataset ${dataset.id} frozen: ${JSON.stringify(dataset.counts)}.`);
	const exported = await admin.GET('/projects/{id}/datasets/{datasetId}/export', {
		params: {
			path: { id: project.id, datasetId: dataset.id },
			query: { split: 'train', format: 'openai' }
		},
		parseAs: 'text'
	});
	const trainingFile = expectData(exported, 'the export');

	const tune = expectData(
		await admin.POST('/projects/{id}/fine-tunes', {
			params: { path: { id: project.id } },
			body: {
				datasetId: dataset.id,
				fineTune: { adapter: 'openai', providerId, baseModel, suffix: 'loop', epochs: 1 }
			}
		}),
		'the fine-tune'
	);
	const tuned = await until('the fine-tune', patienceMs, async () => {
		const read = expectData(
			await admin.GET('/projects/{id}/fine-tunes/{fineTuneId}', {
				params: { path: { id: project.id, fineTuneId: tune.id } }
			}),
			'the fine-tune'
		);
		if (read.status === 'failed' || read.status === 'cancelled') {
			throw new Error(`The fine-tune ${read.status}: ${read.error ?? 'no reason given'}`);
		}
		return read.status === 'succeeded' && read.resultModelId !== null ? read : undefined;
	});
	log(`Fine-tune ${tune.id} made ${tuned.resultModel}.`);

	const evaluation = expectData(
		await admin.POST('/projects/{id}/evaluations', {
			params: { path: { id: project.id } },
			body: { modelIds: [tuned.resultModelId!], datasetId: dataset.id }
		}),
		'the evaluation'
	);
	const evaluated = await until('the evaluation', patienceMs, async () => {
		const read = expectData(
			await admin.GET('/projects/{id}/jobs/{jobId}', {
				params: { path: { id: project.id, jobId: evaluation.id } }
			}),
			'the evaluation'
		);
		if (read.status === 'failed' || read.status === 'cancelled') {
			throw new Error(`The evaluation ${read.status}: ${read.error ?? 'no reason given'}`);
		}
		return read.status === 'done' ? read : undefined;
	});
	log(`Evaluation ${evaluated.id}: ${evaluated.counts.done} of ${evaluated.total} answered.`);
	return {
		project,
		imported,
		reviews,
		disputes,
		agreement,
		dataset,
		trainingFile,
		tuned,
		evaluated
	};
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const need = (name: string) => {
		const value = process.env[name];
		if (!value) throw new Error(`Set ${name}.`);
		return value;
	};
	await runLoop({
		origin: need('WINNOW_URL'),
		admin: { username: need('WINNOW_ADMIN'), password: need('WINNOW_PASSWORD') },
		providerId: Number(need('WINNOW_PROVIDER_ID')),
		baseModel: need('WINNOW_BASE_MODEL')
	});
}
