// People and their access tokens: admins manage accounts; anyone exchanges their password for
// a token of their own.
import { z } from 'zod';
import { loginSchema, newUserSchema, setRoleSchema } from '../../schemas/auth';
import { adminsOnly, apiErrorSchema, conflict, refused, timestamp, type Operation } from '../parts';

const ROLES = setRoleSchema.shape.role;

const userSchema = z.object({
	id: z.string(),
	username: z.string(),
	displayName: z.string(),
	role: ROLES,
	active: z.boolean(),
	createdAt: timestamp
});

const tokenSchema = z.object({
	id: z.number().int(),
	name: z.string(),
	createdAt: timestamp,
	lastUsedAt: timestamp.nullable(),
	revokedAt: timestamp.nullable()
});

/** An account as an admin changes it: active or not, and its role; either or both. */
export const userChangeSchema = z
	.object({
		active: z.boolean('Say true or false.').optional(),
		role: ROLES.optional()
	})
	.refine((change) => change.active !== undefined || change.role !== undefined, {
		message: 'Say what to change: active, role or both.'
	});

/** A token asked for with the person's own password, as they would log in. */
export const tokenRequestSchema = loginSchema.extend({
	name: z
		.string('Name the token after what will use it.')
		.trim()
		.min(1, 'Name the token after what will use it.')
		.max(80, 'Use at most 80 characters.')
});

const usernamePath = z.object({ username: z.string() });
const noUser = { 404: { description: 'No such person', schema: apiErrorSchema } };
const admin = refused(adminsOnly);

export const USER_OPERATIONS = {
	listUsers: {
		method: 'get',
		path: '/users',
		summary: 'Every account, by username (admins)',
		access: 'admin',
		responses: {
			200: { description: 'The accounts', schema: z.object({ users: z.array(userSchema) }) },
			...admin
		}
	},
	createUser: {
		method: 'post',
		path: '/users',
		summary: 'Makes an account with a first password, as the Users page does (admins)',
		access: 'admin',
		body: newUserSchema,
		responses: {
			201: { description: 'The account as made', schema: userSchema },
			400: { description: 'A field breaks a rule; nothing was made', schema: apiErrorSchema },
			...conflict('That username is taken'),
			...admin
		}
	},
	updateUser: {
		method: 'patch',
		path: '/users/{username}',
		summary:
			'Deactivates or reactivates an account (its sessions end at once), or changes its role (admins)',
		access: 'admin',
		params: usernamePath,
		body: userChangeSchema,
		responses: {
			200: { description: 'The account as it is now', schema: userSchema },
			400: { description: 'Not a change this takes', schema: apiErrorSchema },
			...conflict('It would leave no active admin, or it deactivates the caller'),
			...refused({ ...adminsOnly, ...noUser })
		}
	},
	listUserTokens: {
		method: 'get',
		path: '/users/{username}/tokens',
		summary: 'A person’s access tokens, newest first, revoked ones too (admins)',
		access: 'admin',
		params: usernamePath,
		responses: {
			200: { description: 'The tokens', schema: z.object({ tokens: z.array(tokenSchema) }) },
			...refused({ ...adminsOnly, ...noUser })
		}
	},
	revokeUserTokens: {
		method: 'delete',
		path: '/users/{username}/tokens',
		summary:
			'Revokes every live token of a person: scripts using them are refused at once (admins)',
		access: 'admin',
		params: usernamePath,
		responses: {
			200: {
				description: 'How many live tokens were revoked',
				schema: z.object({ revoked: z.number().int() })
			},
			...refused({ ...adminsOnly, ...noUser })
		}
	},
	createToken: {
		method: 'post',
		path: '/tokens',
		summary:
			'Exchanges a person’s username and password for a personal access token of their own, shown once; throttled as logins are',
		access: 'anyone',
		body: tokenRequestSchema,
		responses: {
			201: {
				description: 'The token: keep it, it is not shown again',
				schema: z.object({ id: z.number().int(), name: z.string(), token: z.string() })
			},
			400: {
				description: 'A field is missing, or the username or password is wrong',
				schema: apiErrorSchema
			},
			429: { description: 'Too many failed attempts: wait and try again', schema: apiErrorSchema }
		}
	}
} satisfies Record<string, Operation>;
