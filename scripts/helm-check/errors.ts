/** The chart check could not run, or the chart failed it: what, and the command with its output. */
export class HelmCheckError extends Error {
  readonly command: string | undefined;
  readonly output: string | undefined;

  constructor(message: string, context: { command?: string; output?: string } = {}) {
    super(
      [message, context.command && `  command: ${context.command}`, context.output && context.output]
        .filter((part) => typeof part === 'string' && part !== '')
        .join('\n'),
    );
    this.name = 'HelmCheckError';
    this.command = context.command;
    this.output = context.output;
  }
}
