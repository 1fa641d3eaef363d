import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid, invalidInParts } from '$lib/server/apiResponses';
import { fineTuneSpecOf } from '$lib/server/finetune';
import { apiOpenProjectAdmin, apiProjectAdmin } from '$lib/server/guards';
import { listIterations, startNextIteration } from '$lib/server/iterations';
import { evaluationAnswers, iterationFigures } from '$lib/server/iterations/figures';
import { judgedEstimates, pairwiseResults } from '$lib/server/iterations/judged';
import type { RequestHandler } from './$types';

/** Every iteration, and every evaluated model's figures on the held-out inputs. */
export const GET: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const query = OPERATIONS.listIterations.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!query.success) return invalid('The query has a problem.', query.error);
	const { scope } = query.data;
	const db = event.locals.db;
	const answers = await evaluationAnswers(db, project);
	const figures = await iterationFigures(db, project, answers, scope);
	return json({
		iterations: await listIterations(db, project.id),
		figures,
		judged: await judgedEstimates(db, project, answers, figures),
		pairwise: await pairwiseResults(db, project, answers)
	});
};

/** The next iteration: freeze the dataset, start its fine-tune, evaluate the student after. */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiOpenProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.startIteration.body.safeParse(read.body);
	if (!parsed.success) {
		return invalidInParts(parsed.error, 'The iteration has a problem.', [
			['filter', 'The filter has a problem.'],
			['fineTune', 'The fine-tune has a problem.'],
			['evaluation.settings', 'The evaluation settings have a problem.']
		]);
	}
	const { name, filter, fineTune, evaluation } = parsed.data;
	const started = await startNextIteration(event.locals.db, project, user.id, {
		name,
		filter,
		fineTune: fineTuneSpecOf(fineTune),
		evaluation
	});
	if (!started.ok) return invalid(started.message);
	event.locals.fineTunes.wake();
	const { iterationId, number, datasetId, fineTuneId } = started;
	return json({ iterationId, number, datasetId, fineTuneId }, { status: 201 });
};
