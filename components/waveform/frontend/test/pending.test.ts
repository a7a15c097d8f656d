import { describe, expect, it } from "vitest";
import { ALIVE_PREFIX, LOG_PREFIX, MemoryStore, ORPHAN_AFTER_MS, PendingLog } from "../src/pending";

const answer = (task: string, a = "accept") => ({
  dataset: "d",
  session: "ann",
  task_id: task,
  answer: a,
  regions: [],
  transcript: null,
  spans: null,
});

function seqRandom(): () => number {
  let i = 0;
  return () => ((i++ * 7) % 36) / 36;
}

describe("PendingLog", () => {
  it("numbers answers 1, 2, 3 and keeps them until acked", () => {
    const local = new MemoryStore();
    const log = new PendingLog(local, new MemoryStore(), () => 1000);
    expect(log.add(answer("1")).seq).toBe(1);
    expect(log.add(answer("2")).seq).toBe(2);
    expect(log.add(answer("3")).seq).toBe(3);
    expect(log.all().map((e) => e.task_id)).toEqual(["1", "2", "3"]);
    expect(log.ack({ [log.client]: 2 }).map((e) => e.seq)).toEqual([1, 2]);
    expect(log.all().map((e) => e.seq)).toEqual([3]);
    // an ack for another client, or a lower one, removes nothing
    expect(log.ack({ other: 9 })).toEqual([]);
    expect(log.ack({ [log.client]: 1 })).toEqual([]);
    expect(log.size).toBe(1);
  });

  it("stamps each answer with its client and time in seconds", () => {
    const log = new PendingLog(new MemoryStore(), new MemoryStore(), () => 12_345);
    const e = log.add(answer("7", "reject"));
    expect(e).toMatchObject({ client: log.client, seq: 1, ts: 12.345, answer: "reject", task_id: "7" });
  });

  it("survives a reload: the same tab (session storage) finds its answers and goes on numbering", () => {
    const local = new MemoryStore();
    const tab = new MemoryStore();
    const a = new PendingLog(local, tab, () => 1000);
    a.add(answer("1"));
    a.add(answer("2"));
    a.ack({ [a.client]: 1 });
    const b = new PendingLog(local, tab, () => 2000);
    expect(b.client).toBe(a.client);
    expect(b.all().map((e) => [e.task_id, e.seq])).toEqual([["2", 2]]);
    expect(b.add(answer("3")).seq).toBe(3);
  });

  it("never reuses a number after every answer was acked and the tab reloaded", () => {
    const local = new MemoryStore();
    const tab = new MemoryStore();
    const a = new PendingLog(local, tab);
    a.add(answer("1"));
    a.add(answer("2"));
    a.ack({ [a.client]: 2 });
    const b = new PendingLog(local, tab);
    expect(b.size).toBe(0);
    expect(b.add(answer("3")).seq).toBe(3);
  });

  it("gives a second tab its own client id", () => {
    const local = new MemoryStore();
    const a = new PendingLog(local, new MemoryStore(), () => 1000, seqRandom());
    const b = new PendingLog(local, new MemoryStore(), () => 1000, () => 0.5);
    expect(a.client).not.toBe(b.client);
    expect(a.client).toMatch(/^[0-9a-z]{16}$/);
  });

  it("does not adopt the log of a tab that is alive", () => {
    const local = new MemoryStore();
    let now = 1_000_000;
    const a = new PendingLog(local, new MemoryStore(), () => now, () => 0.1);
    a.add(answer("1"));
    now += ORPHAN_AFTER_MS - 1;
    const b = new PendingLog(local, new MemoryStore(), () => now, () => 0.9);
    expect(b.all()).toEqual([]);
    expect(local.getItem(LOG_PREFIX + a.client)).not.toBeNull();
  });

  it("adopts the log of a tab gone quiet, keeping each answer's own client and number", () => {
    const local = new MemoryStore();
    let now = 1_000_000;
    const a = new PendingLog(local, new MemoryStore(), () => now, () => 0.1);
    a.add(answer("1"));
    a.add(answer("2"));
    now += ORPHAN_AFTER_MS;
    const b = new PendingLog(local, new MemoryStore(), () => now, () => 0.9);
    b.add(answer("3"));
    expect(b.all().map((e) => [e.client, e.seq, e.task_id])).toEqual([
      [a.client, 1, "1"],
      [a.client, 2, "2"],
      [b.client, 1, "3"],
    ]);
    expect(local.getItem(LOG_PREFIX + a.client)).toBeNull();
    expect(local.getItem(ALIVE_PREFIX + a.client)).toBeNull();
    // acks per client remove the adopted ones too
    b.ack({ [a.client]: 2 });
    expect(b.all().map((e) => e.task_id)).toEqual(["3"]);
    // and what b holds is stored under b's id
    const stored = JSON.parse(local.getItem(LOG_PREFIX + b.client) as string);
    expect(stored.entries.map((e: { task_id: string }) => e.task_id)).toEqual(["3"]);
  });

  it("ignores a damaged log instead of failing", () => {
    const local = new MemoryStore();
    const tab = new MemoryStore();
    tab.setItem("earmark.client", "abc");
    local.setItem(LOG_PREFIX + "abc", "{not json");
    const log = new PendingLog(local, tab);
    expect(log.client).toBe("abc");
    expect(log.all()).toEqual([]);
    local.setItem(LOG_PREFIX + "abc", JSON.stringify({ seq: 4, entries: [{ client: "abc", seq: "x" }, { client: "abc", seq: 5, task_id: "9" }] }));
    const again = new PendingLog(local, tab);
    expect(again.all().map((e) => e.seq)).toEqual([5]);
    expect(again.add(answer("10")).seq).toBe(6);
  });

  it("keeps answers in memory when storage refuses them", () => {
    const refusing = new MemoryStore();
    refusing.setItem = () => {
      throw new Error("QuotaExceededError");
    };
    const log = new PendingLog(refusing, null);
    log.add(answer("1"));
    log.add(answer("2"));
    expect(log.all().map((e) => e.seq)).toEqual([1, 2]);
  });
});
