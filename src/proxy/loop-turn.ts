/**
 * @module
 * A wait for the event loop's next turn, when the server gets to write what is queued.
 * Promise callbacks never give it that turn, and `setTimeout(0)` waits a timer tick (2 ms
 * here). A message through a `MessageChannel` is delivered on the next turn, the way browsers'
 * schedulers get one, for a few microseconds. The channel is made on first use and left open;
 * it holds nothing, and the CLI exits explicitly.
 */

let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function loopTurn(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    waiting.push(resolve);
    port.postMessage(0);
  });
}
