import { error, fail, redirect } from '@sveltejs/kit';
import { z } from 'zod';
import { fieldErrors, formText } from '$lib/schemas/forms';
import {
	draftTextSchema,
	JOB_SETTING_DEFAULTS,
	jobSettingsSchema,
	topicNameSchema
} from '$lib/schemas/job';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import {
	addTopic,
	draftInputs,
	editDraft,
	getRun,
	growTree,
	listDrafts,
	removeDrafts,
	removeTopic,
	renameTopic,
	startFromDrafts,
	topicTree
} from '$lib/server/jobs/synthetic';
import type { Actions, PageServerLoad, RequestEvent } from './$types';

const id = z.coerce.number().int().positive();

async function runOf(event: RequestEvent | Parameters<PageServerLoad>[0]) {
	const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
	const run = await getRun(event.locals.db, project.id, Number(event.params.runId));
	if (!run) error(404, 'No such topic tree in this project.');
	return { project, user, run };
}

export const load: PageServerLoad = async (event) => {
	const { run } = await runOf(event);
	return {
		run: {
			id: run.id,
			jobId: run.jobId,
			breadth: run.breadth,
			depth: run.depth,
			inputsPerLeaf: run.inputsPerLeaf,
			guidance: run.guidance
		},
		tree: await topicTree(event.locals.db, run.id),
		drafts: await listDrafts(event.locals.db, run.id),
		defaults: JOB_SETTING_DEFAULTS
	};
};

export const actions: Actions = {
	rename: async (event) => {
		const { run } = await runOf(event);
		const form = await event.request.formData();
		const topicId = id.safeParse(formText(form, 'topicId'));
		const name = topicNameSchema.safeParse(formText(form, 'name'));
		if (!topicId.success) return fail(400, { message: 'Choose a topic.' });
		if (!name.success) {
			return fail(400, { topicId: topicId.data, errors: fieldErrors(name.error) });
		}
		if (!(await renameTopic(event.locals.db, run.id, topicId.data, name.data)))
			error(404, 'No such topic.');
		return { message: 'Topic renamed.' };
	},
	add: async (event) => {
		const { run } = await runOf(event);
		const form = await event.request.formData();
		const parentId = id.safeParse(formText(form, 'parentId'));
		const name = topicNameSchema.safeParse(formText(form, 'name'));
		if (!parentId.success) return fail(400, { message: 'Choose where the topic goes.' });
		if (!name.success) {
			return fail(400, { parentId: parentId.data, errors: fieldErrors(name.error) });
		}
		if (!(await addTopic(event.locals.db, run.id, parentId.data, name.data)))
			error(404, 'No such topic.');
		return { message: `Topic “${name.data}” added.` };
	},
	remove: async (event) => {
		const { run } = await runOf(event);
		const topicId = id.safeParse(formText(await event.request.formData(), 'topicId'));
		if (!topicId.success) return fail(400, { message: 'Choose a topic.' });
		if (!(await removeTopic(event.locals.db, run.id, topicId.data))) {
			return fail(400, { message: 'The root topic stays; remove the topics under it instead.' });
		}
		return { message: 'Topic removed, with everything under it.' };
	},
	grow: async (event) => {
		const { run } = await runOf(event);
		const grown = await growTree(event.locals.db, event.locals.secretKey, run);
		if (!grown.ok) return fail(502, { message: grown.message });
		return { message: 'Subtopics proposed for every topic that had none.' };
	},
	draft: async (event) => {
		const { run } = await runOf(event);
		const drafted = await draftInputs(event.locals.db, event.locals.secretKey, run);
		if (!drafted.ok) return fail(502, { message: drafted.message });
		return { message: 'Inputs drafted for every leaf that had none.' };
	},
	editDraft: async (event) => {
		const { run } = await runOf(event);
		const form = await event.request.formData();
		const draftId = id.safeParse(formText(form, 'draftId'));
		const text = draftTextSchema.safeParse(formText(form, 'text'));
		if (!draftId.success) return fail(400, { message: 'Choose an input.' });
		if (!text.success) {
			return fail(400, { draftId: draftId.data, errors: fieldErrors(text.error) });
		}
		if (!(await editDraft(event.locals.db, run.id, draftId.data, text.data)))
			error(404, 'No such input.');
		return { message: 'Input saved.' };
	},
	removeDrafts: async (event) => {
		const { run } = await runOf(event);
		const form = await event.request.formData();
		const ids = z.array(id).safeParse(form.getAll('draftId').map(String));
		if (!ids.success || ids.data.length === 0) {
			return fail(400, { message: 'Tick the inputs to remove.' });
		}
		const removed = await removeDrafts(event.locals.db, run.id, ids.data);
		return { message: `${removed} input(s) removed.` };
	},
	start: async (event) => {
		const { project, user, run } = await runOf(event);
		const form = await event.request.formData();
		const settings = jobSettingsSchema.safeParse({
			...JOB_SETTING_DEFAULTS,
			temperature: formText(form, 'temperature'),
			samplesPerInput: formText(form, 'samplesPerInput'),
			concurrency: formText(form, 'concurrency')
		});
		if (!settings.success) return fail(400, { startErrors: fieldErrors(settings.error) });
		if (run.modelId === null) return fail(409, { message: 'The run’s model was removed.' });
		if (project.archivedAt) return fail(409, { message: PROJECT_ARCHIVED });
		const started = await startFromDrafts(
			event.locals.db,
			project,
			run,
			user.id,
			[run.modelId],
			settings.data
		);
		if (!started.ok) return fail(409, { message: started.message });
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${started.jobId}`);
	}
};
