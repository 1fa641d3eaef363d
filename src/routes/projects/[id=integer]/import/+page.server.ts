import { fail } from '@sveltejs/kit';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { requireProjectAdmin } from '$lib/server/guards';
import {
	formatFromFilename,
	importExamples,
	IMPORT_FORMATS,
	type LineError
} from '$lib/server/import';
import type { Actions, PageServerLoad } from './$types';

/** At most this many bad lines are sent back to the page; the total is always given. */
const ERRORS_SHOWN = 1000;

type Failure = {
	errors: Record<string, string[] | undefined>;
	filename?: string;
	rowsRead?: number;
	errorCount: number;
	lineErrors: LineError[];
};

const importFormSchema = z.object({
	file: z
		.instanceof(File, { message: 'Choose a file to import.' })
		.refine((f) => f.size > 0, 'The file is empty.'),
	format: z.enum(['auto', ...IMPORT_FORMATS], 'Choose a format.')
});

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return { conversations: project.inputKind === 'conversation' };
};

export const actions: Actions = {
	default: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const parsed = importFormSchema.safeParse({
			file: form.get('file'),
			format: form.get('format') ?? 'auto'
		});
		if (!parsed.success) {
			const errors = z.flattenError(parsed.error).fieldErrors;
			return fail(400, { errors, lineErrors: [], errorCount: 0 } satisfies Failure);
		}
		const { file } = parsed.data;
		const format =
			parsed.data.format === 'auto' ? formatFromFilename(file.name) : parsed.data.format;
		if (!format) {
			return fail(400, {
				errors: {
					format: ['Winnow cannot tell the format from the file name; choose JSONL or CSV.']
				},
				lineErrors: [],
				errorCount: 0
			} satisfies Failure);
		}
		const result = await importExamples(event.locals.db, project, {
			source: Readable.fromWeb(file.stream() as import('node:stream/web').ReadableStream),
			format,
			filename: file.name,
			userId: user.id,
			maxFieldBytes: event.locals.maxFieldBytes
		});
		if (!result.ok && result.busy) {
			return fail(409, {
				errors: { file: [result.busy] },
				lineErrors: [],
				errorCount: 0
			} satisfies Failure);
		}
		if (!result.ok) {
			return fail(400, {
				errors: {},
				filename: file.name,
				rowsRead: result.rowsRead,
				errorCount: result.errors.length,
				lineErrors: result.errors.slice(0, ERRORS_SHOWN)
			} satisfies Failure);
		}
		return { imported: result.imported, skipped: result.skipped, filename: file.name };
	}
};
