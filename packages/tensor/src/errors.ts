// One error family for the whole project. Every message names the file / field at fault and, where there
// is a choice, the valid choices, so a user can fix the input without reading our source.

/** The project's one error type: `code` says which part failed, `file` which input; the message names both. */
export class Diff2in1Error extends Error {
  override name = 'Diff2in1Error';
  /** Machine-readable category, e.g. 'safetensors', 'config', 'dataset', 'device'. */
  readonly code: string;
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;

  constructor(code: string, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${message}` : message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }
}

/** "one of: a, b, c" — for messages that list valid choices. */
export function choices(values: Iterable<string>): string {
  return `one of: ${[...values].join(', ')}`;
}
