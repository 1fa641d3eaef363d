import { error } from '@sveltejs/kit';
import { getExampleDetail } from '$lib/server/examples';
import { requireMember } from '$lib/server/guards';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = (event) => {
	const { project } = requireMember(event, Number(event.params.id));
	const detail = getExampleDetail(event.locals.db, project.id, Number(event.params.exampleId));
	if (!detail) error(404, 'No such example in this project.');
	return { detail, outputKind: project.outputKind, inputKind: project.inputKind };
};
