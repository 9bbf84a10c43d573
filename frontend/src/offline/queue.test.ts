import { ApiError } from "../api/client";
import { createQueue, type PendingAction, type QueueStorage } from "./queue";

function memory(): QueueStorage {
  const rows = new Map<number, PendingAction>();
  let next = 1;
  return {
    all: () => Promise.resolve([...rows.values()]),
    add: (action) => {
      const id = next++;
      rows.set(id, { ...action, id });
      return Promise.resolve(id);
    },
    remove: (id) => {
      rows.delete(id);
      return Promise.resolve();
    },
  };
}

const tap = (choreId: number, kind: PendingAction["kind"] = "complete"): PendingAction => ({
  householdId: 1,
  choreId,
  choreName: `chore ${choreId}`,
  kind,
  doneAt: "2026-11-30T01:02:03.000Z",
});

describe("offline queue", () => {
  it("sends the taps once each, in the order they were made", async () => {
    const queue = createQueue(memory());
    await queue.add(tap(1));
    await queue.add(tap(2, "skip"));
    await queue.add(tap(1, "undo"));
    const sent: string[] = [];
    const send = (a: PendingAction) => Promise.resolve(sent.push(`${a.kind} ${a.choreId} ${a.doneAt}`));
    await Promise.all([queue.flush(send), queue.flush(send)]);
    expect(sent).toEqual([
      "complete 1 2026-11-30T01:02:03.000Z",
      "skip 2 2026-11-30T01:02:03.000Z",
      "undo 1 2026-11-30T01:02:03.000Z",
    ]);
    expect(queue.snapshot()).toEqual([]);
  });

  it("gives every tap its own idempotency key", async () => {
    const queue = createQueue(memory());
    await queue.add(tap(1));
    await queue.add(tap(1));
    const [first, second] = queue.snapshot().map((a) => a.key);
    expect(first).toMatch(/^[\w-]{8,}$/);
    expect(second).not.toBe(first);
  });

  it("keeps a tap and those after it while the server cannot be reached", async () => {
    const queue = createQueue(memory());
    await queue.add(tap(1));
    await queue.add(tap(2));
    const send = vi.fn().mockRejectedValue(new ApiError(0, { code: "unreachable" }));
    expect(await queue.flush(send)).toEqual([]);
    expect(send).toHaveBeenCalledTimes(1);
    expect(queue.snapshot().map((a) => a.choreId)).toEqual([1, 2]);
  });

  it("drops a tap the server refuses and reports it, then goes on", async () => {
    const queue = createQueue(memory());
    await queue.add(tap(1));
    await queue.add(tap(2));
    const refused = new ApiError(404, { code: "not_found", detail: "Chore not found" });
    const send = vi.fn().mockRejectedValueOnce(refused).mockResolvedValueOnce({});
    const rejected = await queue.flush(send);
    expect(rejected.map((r) => [r.action.choreId, r.error.code])).toEqual([[1, "not_found"]]);
    expect(send).toHaveBeenCalledTimes(2);
    expect(queue.snapshot()).toEqual([]);
  });

  it("takes back a tap not sent yet", async () => {
    const queue = createQueue(memory());
    const id = await queue.add(tap(1));
    await queue.add(tap(2));
    await queue.cancel(id);
    expect(queue.snapshot().map((a) => a.choreId)).toEqual([2]);
  });
});
