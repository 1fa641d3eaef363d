// The pieces every operation of the API contract is made of: the error shape, the path
// parameters, who may call it, and the refusals every guarded operation can answer.
import { z } from 'zod';

/** Every error: what went wrong overall and, per field, what is wrong with it. */
export const apiErrorSchema = z
	.object({
		message: z.string(),
		issues: z.record(z.string(), z.array(z.string())).optional()
	})
	.meta({ description: 'What went wrong, and per field why' });

export const timestamp = z.iso.datetime({ offset: true });

export const RATING_SCALES = ['five_star', 'pass_fail', 'pass_fail_critical'] as const;
export const OUTPUT_KINDS = ['text', 'json', 'turn', 'labels'] as const;

export const projectPath = z.object({ id: z.coerce.number().int().positive() });
export const examplePath = projectPath.extend({ exampleId: z.coerce.number().int().positive() });
export const noExample = {
	404: { description: 'No such project or example', schema: apiErrorSchema }
};
export const conflict = (description: string) => ({ 409: { description, schema: apiErrorSchema } });
/** What starts work in a project is refused while the project is archived. */
export const projectArchived = conflict(
	'The project is archived: no work starts in it until it is restored; nothing was started'
);

export type Response = {
	description: string;
	schema: z.ZodType;
	/** The answer's media types when it is not JSON (a file); `schema` then describes its text. */
	mediaTypes?: readonly string[];
};
export type Responses = Record<number, Response>;
export type Operation = {
	method: 'get' | 'post' | 'patch' | 'delete';
	path: string;
	summary: string;
	/** Who may call it: anyone (no token), anyone with a token, a member of the project, or an admin. */
	access: 'anyone' | 'user' | 'member' | 'admin';
	params?: z.ZodObject;
	query?: z.ZodObject;
	body?: z.ZodType;
	/** The body's media types when it is not JSON (a file to import); `body` describes its text. */
	bodyMediaTypes?: readonly string[];
	responses: Responses;
};

export const refused = (more: Responses = {}): Responses => ({
	401: { description: 'No token, or not a valid one', schema: apiErrorSchema },
	...more
});
export const notFound = {
	404: { description: 'No such project for this token', schema: apiErrorSchema }
};
export const adminsOnly = { 403: { description: 'Not an admin', schema: apiErrorSchema } };
