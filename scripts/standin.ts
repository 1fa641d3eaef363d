// Starts the local OpenAI-compatible stand-in by hand, for offline development and the
// distillation benchmark. Point a provider at the URL it prints.
//
//   npm run standin -- --port 8787 --latency-ms 300 --error-rate 0.1 --malformed-rate 0.05
import { parseArgs } from 'node:util';
import { startStandin } from '../tests/support/standin';

const { values: args } = parseArgs({
	options: {
		port: { type: 'string', default: '8787' },
		'latency-ms': { type: 'string', default: '200' },
		'error-rate': { type: 'string', default: '0' },
		'malformed-rate': { type: 'string', default: '0' },
		'retry-after-ms': { type: 'string', default: '1000' },
		'api-key': { type: 'string' },
		models: { type: 'string', default: 'teacher-large,student-small' }
	}
});

const standin = await startStandin(
	{
		latencyMs: Number(args['latency-ms']),
		errorRate: Number(args['error-rate']),
		malformedRate: Number(args['malformed-rate']),
		retryAfterMs: Number(args['retry-after-ms']),
		apiKey: args['api-key'] ?? null,
		models: args.models.split(',').map((m) => m.trim())
	},
	Number(args.port)
);
process.stdout.write(`Stand-in listening at ${standin.url}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => void standin.close().then(() => process.exit(0)));
}
