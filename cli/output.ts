/**
 * Everything the CLI prints goes through here: lines and tables on stdout, progress and errors on
 * stderr, JSON alone on stdout with `--json`. Colour only when the stream is a terminal and NO_COLOR
 * is unset (https://no-color.org), so pipes and files get plain text.
 */

/** The part of a stream the CLI writes to (process.stdout, or a capture in tests). */
export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** A terminal's width; tables fit it (80 columns when it is not a terminal). */
  columns?: number;
}

/** Width tables fit when stdout is not a terminal (a pipe, a file, a mail of the output). */
export const DEFAULT_WIDTH = 80;

/** What `main` runs with: its streams and its environment (never read from `process` directly). */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  env: Record<string, string | undefined>;
  /** Aborted on SIGINT/SIGTERM (bin/certbeat.mjs): a run stops, removes its TXT values and gives back its leases. */
  signal?: AbortSignal;
  /** Standard input: a question is asked only when it is a terminal (`remove` confirms). */
  stdin?: { isTTY?: boolean };
  /** Asks a question on the terminal and resolves with the answer line (bin/certbeat.mjs: readline). */
  prompt?: (question: string) => Promise<string>;
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Applies styles, or returns the text unchanged when colour is off. */
export type Paint = (style: Style | undefined, text: string) => string;

export function painter(enabled: boolean): Paint {
  return (style, text) => {
    if (!enabled || !style || text === '') return text;
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  };
}

/** Whether to colour `stream`: a terminal, and NO_COLOR unset or empty. */
export function colorEnabled(stream: CliStream, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** A table cell: plain text, or text with a style. */
export type Cell = string | { text: string; style?: Style };

const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

export class Output {
  readonly paint: Paint;
  readonly paintErr: Paint;

  constructor(private readonly io: CliIo) {
    this.paint = painter(colorEnabled(io.stdout, io.env));
    this.paintErr = painter(colorEnabled(io.stderr, io.env));
  }

  /** One line on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** One line on stderr (progress, warnings, errors): never mixed into `--json` output. */
  note(text: string, style?: Style): void {
    this.io.stderr.write(`${this.paintErr(style, text)}\n`);
  }

  /** Machine-readable output: the only thing on stdout with `--json`. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * A table with a bold header row; columns padded to their widest cell, and the `shrinkable` columns
   * cut (with …) so that every line fits the terminal, or 80 columns.
   */
  table(headers: string[], rows: Cell[][], shrinkable: number[] = []): void {
    const width = this.io.stdout.isTTY && this.io.stdout.columns ? this.io.stdout.columns : DEFAULT_WIDTH;
    for (const line of renderTable(headers, rows, this.paint, { width, shrinkable })) this.line(line);
  }
}

/** Narrowest a shrinkable column gets: its header, or this many characters. */
const MIN_COLUMN = 8;

/** Column widths that fit `width`: the widest shrinkable column gives a character at a time. */
function fitWidths(widths: number[], headers: string[], width: number, shrinkable: number[]): number[] {
  const fitted = [...widths];
  const total = () => fitted.reduce((a, b) => a + b, 0) + 2 * (fitted.length - 1);
  while (total() > width) {
    const candidates = shrinkable.filter((i) => fitted[i] > Math.max(MIN_COLUMN, visibleLength(headers[i])));
    if (candidates.length === 0) break;
    const widest = candidates.reduce((a, b) => (fitted[b] > fitted[a] ? b : a));
    fitted[widest] -= 1;
  }
  return fitted;
}

/** Cuts `text` to `width` with …, keeping a trailing ` +N` (how many more names) readable. */
function cut(text: string, width: number): string {
  if (text.length <= width) return text;
  const more = / \+\d+$/.exec(text)?.[0] ?? '';
  const head = text.slice(0, text.length - more.length);
  return `${head.slice(0, Math.max(0, width - more.length - 1))}…${more}`;
}

/** Renders a table as lines (exported for the demo, which prints the same tables). */
export function renderTable(
  headers: string[],
  rows: Cell[][],
  paint: Paint = painter(false),
  fit: { width?: number; shrinkable?: number[] } = {},
): string[] {
  const natural = rows.map((row) => row.map((c) => (typeof c === 'string' ? { text: c } : c)));
  const full = headers.map((h, i) => Math.max(visibleLength(h), ...natural.map((r) => visibleLength(r[i]?.text ?? ''))));
  const widths = fit.width ? fitWidths(full, headers, fit.width, fit.shrinkable ?? []) : full;
  const cells = natural.map((row) => row.map((c, i) => ({ ...c, text: cut(c.text, widths[i]) })));
  const cell = (style: Style | undefined, text: string, i: number) =>
    paint(style, text) + ' '.repeat(Math.max(0, widths[i] - visibleLength(text)));
  const join = (parts: string[]) => parts.join('  ').trimEnd();
  return [
    join(headers.map((h, i) => cell('bold', h, i))),
    ...cells.map((row) => join(row.map((c, i) => cell(c.style, c.text, i)))),
  ];
}
