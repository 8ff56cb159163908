import { describe, expect, it } from 'vitest';
import { ThreadRequests } from '../../../processor/stream-threads/thread-requests.ts';

describe('requests to a stream thread', () => {
  it("settle with the thread's answer to their own id", async () => {
    const requests = new ThreadRequests();
    const sent: number[] = [];
    const opts = { timeoutMs: 1_000, fallback: 'none', onTimeout: () => undefined };
    const first = requests.ask<string>((id) => sent.push(id), opts);
    const second = requests.ask<string>((id) => sent.push(id), opts);
    requests.answer(sent[1] as number, 'two');
    requests.answer(sent[0] as number, 'one');
    expect(await Promise.all([first, second])).toEqual(['one', 'two']);
  });

  it('settle with their fallback after the timeout, or when the thread ends, and later ones at once', async () => {
    const requests = new ThreadRequests();
    let timedOut = 0;
    const slow = requests.ask<string>(() => undefined, {
      timeoutMs: 20,
      fallback: 'late',
      onTimeout: () => timedOut++,
    });
    expect(await slow).toBe('late');
    expect(timedOut).toBe(1);
    const pending = requests.ask<string>(() => undefined, {
      timeoutMs: 60_000,
      fallback: 'ended',
      onTimeout: () => undefined,
    });
    requests.end();
    expect(await pending).toBe('ended');
    let sent = false;
    expect(
      await requests.ask<string>(() => (sent = true), {
        timeoutMs: 60_000,
        fallback: 'gone',
        onTimeout: () => undefined,
      }),
    ).toBe('gone');
    expect(sent).toBe(false);
  });
});
