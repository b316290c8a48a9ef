/**
 * @module
 * What a person sees while a login waits: a spinner with the time left on a
 * terminal, and a line every so often when the output is a log.
 */

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const encoder = new TextEncoder();

export interface Progress {
  tick(secondsLeft: number): void;
  done(): void;
}

export function createProgress(label: string): Progress {
  const terminal = Deno.stderr.isTerminal();
  let frame = 0;
  let lastLine = 0;
  return {
    tick(secondsLeft) {
      const left = `${Math.floor(secondsLeft / 60)}:${
        String(Math.floor(secondsLeft % 60)).padStart(2, "0")
      }`;
      if (terminal) {
        const text = `\r${FRAMES[frame++ % FRAMES.length]} ${label} (${left} left)  `;
        Deno.stderr.writeSync(encoder.encode(text));
      } else if (Date.now() - lastLine >= 10_000) {
        lastLine = Date.now();
        Deno.stderr.writeSync(encoder.encode(`${label} (${left} left)\n`));
      }
    },
    done() {
      if (terminal) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    },
  };
}
