import { CommanderError } from 'commander';
import { EXIT_CODES, RefusedError, toCliError, UnexpectedError, type ExitCode } from './errors.ts';
import { buildProgram } from './program.ts';

/**
 * Runs `vidp` with these arguments and returns the exit code. Ctrl-C (SIGINT) or SIGTERM aborts the
 * command's requests through one AbortSignal, so each command can say what it left (an upload stays
 * resumable) and end with 130; a second Ctrl-C ends the process at once.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT_CODES.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const program = buildProgram({ env, out: (text) => process.stdout.write(text), err: process.stderr, signal: controller.signal });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    // --help, `vidp help X` and --version end parsing with an "error" of exit code 0; bare `vidp` shows the
    // help on stderr with exit code 1, a usage error: either way commander has printed the whole message.
    if (error instanceof CommanderError && ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) {
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    const failure = toCliError(error);
    const where = failure instanceof RefusedError ? ` (HTTP ${failure.status}${failure.requestId === undefined ? '' : `, request ${failure.requestId}`})` : '';
    process.stderr.write(`error ${failure.code}: ${failure.message}${where}\n`);
    if (error instanceof CommanderError) process.stderr.write(`Run vidp --help (or vidp COMMAND --help) for usage.\n`);
    if (failure instanceof UnexpectedError && env.VIDP_DEBUG) process.stderr.write(`${String((failure.cause as Error | undefined)?.stack)}\n`);
    return failure.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
