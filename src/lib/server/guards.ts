import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import type { Role } from './db/schema';
import type { SessionUser } from './auth';
import { getProjectForUser, PROJECT_ARCHIVED } from './projects';

type Event = Pick<RequestEvent, 'locals' | 'url'>;

export function requireLogin(event: Event): SessionUser {
	const user = event.locals.user;
	if (!user) {
		const next = event.url.pathname + event.url.search;
		redirect(303, `/login?next=${encodeURIComponent(next)}`);
	}
	return user;
}

export function requireRole(event: Event, role: Role): SessionUser {
	const user = requireLogin(event);
	if (user.role !== role) error(403, 'This page is for admins only.');
	return user;
}

/**
 * The project, if the person asking may see it. Non-members get 404 rather than 403,
 * so the existence of a project is not revealed to people outside it.
 */
export async function requireMember(event: Event, projectId: number) {
	const user = requireLogin(event);
	const project = await getProjectForUser(event.locals.db, projectId, user);
	if (!project) error(404, 'No such project.');
	return { user, project };
}

/** Admin of a project: a member check first, so outsiders still get 404. */
export async function requireProjectAdmin(event: Event, projectId: number) {
	const found = await requireMember(event, projectId);
	if (found.user.role !== 'admin') error(403, 'Only admins can do this.');
	return found;
}

// The API's guards answer with JSON statuses rather than a redirect to the login page.

export function apiUser(event: Event): SessionUser {
	const user = event.locals.user;
	if (!user) error(401, 'Send a personal access token: Authorization: Bearer <token>.');
	return user;
}

/** An admin's token, for what no project holds (creating one, the users). */
export function apiAdmin(event: Event): SessionUser {
	const user = apiUser(event);
	if (user.role !== 'admin') error(403, 'This endpoint is for admins only.');
	return user;
}

export async function apiMember(event: Event, projectId: number) {
	const user = apiUser(event);
	const project = await getProjectForUser(event.locals.db, projectId, user);
	if (!project) error(404, 'No such project.');
	return { user, project };
}

export async function apiProjectAdmin(event: Event, projectId: number) {
	const found = await apiMember(event, projectId);
	if (found.user.role !== 'admin') error(403, 'This endpoint is for admins only.');
	return found;
}

/** An admin starting work (a job, a run, a fine-tune) in a project: refused while it is archived. */
export async function apiOpenProjectAdmin(event: Event, projectId: number) {
	const found = await apiProjectAdmin(event, projectId);
	if (found.project.archivedAt) error(409, PROJECT_ARCHIVED);
	return found;
}
